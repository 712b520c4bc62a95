/*-------------------------------------------------------------------------
 *
 * bounce_suppress.h
 *	  Declarations shared by the backend parts of bounce_suppress.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_SUPPRESS_H
#define BOUNCE_SUPPRESS_H

#include "bs_compat.h"

#include "fmgr.h"
#include "access/attnum.h"

/* bounce_suppress.probe */
typedef enum BsProbeMode
{
	BS_PROBE_AUTO,				/* index probe unless RLS or Citus need SPI */
	BS_PROBE_INDEX,				/* index probe; refuse where it would be wrong */
	BS_PROBE_SPI				/* always a query through SPI */
} BsProbeMode;

extern int	bs_probe_mode;
extern char *bs_change_note;

/* bs_guc.c */
extern void bs_guc_init(void);

/* bs_probe.c */
extern void bs_probe_init(void);
extern bool bs_probe_suppressed(Oid schema, text *project, const char *address, int len);

/*
 * bs_trigger.c: the columns of events (or a table shaped like it, as a Citus
 * shard is), found once per table and session; bs_events_shape() refuses
 * (39P01) a table that is not shaped so.
 */
typedef struct BsEventsShape
{
	AttrNumber	id,
				project,
				kind,
				address,
				bounce_type,
				reason,
				reply_code,
				enhanced_status,
				diagnostic,
				occurred_at,
				received_at;
	Oid			kind_bounce,	/* event_kind labels */
				kind_complaint,
				kind_delivery;
	Oid			type_typid,		/* bounce_type and its labels */
				type_permanent,
				type_transient;
} BsEventsShape;

struct RelationData;
extern void bs_events_shape(struct RelationData *rel, Oid fn_oid,
							const char *trigger, BsEventsShape *out);

/* bs_sql_text.c */
extern Oid	bs_enum_label_oid(Oid enumtypid, const char *label);
extern Datum bs_enum_datum_for_type(Oid enumtypid, int type);

/* bs_sql_text.c: the normalized address, or NULL for text that is not one */
extern text *bs_normalize_or_null(text *address);

#endif							/* BOUNCE_SUPPRESS_H */
