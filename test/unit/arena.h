/*
 * arena.h
 *	  A malloc-backed bs_alloc arena for the plain-C tests, the fuzz targets
 *	  and the evaluation drivers: blocks are kept in a list and freed all at
 *	  once, as the backend's memory context would free them.
 */
#ifndef BS_TEST_ARENA_H
#define BS_TEST_ARENA_H

#include <stdlib.h>

typedef struct arena
{
	void	  **blocks;
	size_t		n,
				cap;
} arena;

/* bs_alloc callback: malloc a block and remember it. */
static void *
arena_alloc(void *ctx, size_t size)
{
	arena	   *a = ctx;
	void	   *p;

	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 64;
		a->blocks = realloc(a->blocks, a->cap * sizeof(void *));
		if (a->blocks == NULL)
			abort();
	}
	p = malloc(size);
	if (p == NULL)
		abort();
	a->blocks[a->n++] = p;
	return p;
}

/* Free every block, keep the list for reuse. */
static inline void
arena_reset(arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	a->n = 0;
}

/* Free every block and the list. */
static inline void
arena_free(arena *a)
{
	arena_reset(a);
	free(a->blocks);
	a->blocks = NULL;
	a->cap = 0;
}

#endif
