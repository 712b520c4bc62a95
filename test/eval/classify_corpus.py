#!/usr/bin/env python3
#-------------------------------------------------------------------------
#
# classify_corpus.py
#	  Agreement of the SMTP classifier (src/bs_smtp.c) with Sisimai's labels
#	  over ../shared/corpus/smtp_replies.tsv: hard/soft (our type permanent
#	  vs hardbounce=1) and reason (through API.md's name mapping).
#
#	  Rows whose reason is feedback, vacation or delivered are left out; the
#	  status column is the input where the diagnostic is empty (as a bare
#	  "5.2.2" would reach classify_smtp).  No context is passed: this is what
#	  classify_smtp(text) sees.
#
#	  Usage (from the repository root):
#		  python3 test/eval/classify_corpus.py [-v] [--bench N] [TSV]
#
#	  Builds test/build/classify_tsv from test/eval/classify_tsv.c and
#	  src/bs_smtp.c with cc.  Exits 0 and prints "corpus not found, skipped"
#	  when the corpus is absent.
#
#-------------------------------------------------------------------------
import os
import subprocess
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_TSV = os.path.join(ROOT, "..", "shared", "corpus", "smtp_replies.tsv")
DRIVER_SRC = os.path.join(ROOT, "test", "eval", "classify_tsv.c")
DRIVER = os.path.join(ROOT, "test", "build", "classify_tsv")

from sisimai_names import SISIMAI_TO_API
SKIP = {"feedback", "vacation", "delivered", "auto-reply", "autoreply"}


def build_driver():
	os.makedirs(os.path.dirname(DRIVER), exist_ok=True)
	cc = os.environ.get("CC", "cc")
	subprocess.check_call([cc, "-O2", "-std=gnu11", "-Wall", "-Wextra",
						   "-I", os.path.join(ROOT, "src"), "-o", DRIVER,
						   DRIVER_SRC, os.path.join(ROOT, "src", "bs_smtp.c")])


def load(path):
	rows = []
	with open(path, encoding="utf-8", errors="surrogateescape") as f:
		header = f.readline().rstrip("\n").split("\t")
		col = {name: i for i, name in enumerate(header)}
		for line in f:
			parts = line.rstrip("\n").split("\t")
			if len(parts) < len(header):
				parts += [""] * (len(header) - len(parts))
			reason = parts[col["reason"]]
			if reason in SKIP:
				continue
			text = parts[col["diagnostic"]] or parts[col["status"]]
			text = text.replace("\r", " ").replace("\n", " ")
			rows.append((text, reason, parts[col["hardbounce"]] == "1"))
	return rows


def main():
	args = sys.argv[1:]
	verbose = "-v" in args
	bench = 0
	if "--bench" in args:
		bench = int(args[args.index("--bench") + 1])
		del args[args.index("--bench"):args.index("--bench") + 2]
	args = [a for a in args if a != "-v"]
	path = args[0] if args else DEFAULT_TSV
	if not os.path.exists(path):
		print("corpus not found, skipped")
		return 0
	build_driver()
	rows = load(path)
	data = "".join(t + "\n" for t, _, _ in rows).encode("utf-8", "surrogateescape")
	res = subprocess.run([DRIVER], input=data, stdout=subprocess.PIPE, check=True)
	outs = res.stdout.decode("utf-8", "replace").rstrip("\n").split("\n")
	assert len(outs) == len(rows), (len(outs), len(rows))

	hs_ok = reason_ok = 0
	confusion = Counter()
	examples = {}
	for (text, want_reason, want_hard), out in zip(rows, outs):
		code, status, typ, got = out.split("\t")
		want = SISIMAI_TO_API.get(want_reason, want_reason)
		got_hard = typ == "permanent"
		if got_hard == want_hard:
			hs_ok += 1
		if got == want:
			reason_ok += 1
		else:
			key = (want, got)
			confusion[key] += 1
			examples.setdefault(key, []).append((text, want_hard != got_hard))
	n = len(rows)
	print("rows: %d" % n)
	print("hard/soft agreement: %d/%d = %.1f %%" % (hs_ok, n, 100.0 * hs_ok / n))
	print("reason agreement:    %d/%d = %.1f %%" % (reason_ok, n, 100.0 * reason_ok / n))
	print("disagreements by (expected, got):")
	for (want, got), k in confusion.most_common():
		flips = sum(1 for _, f in examples[(want, got)] if f)
		print("  %4d  %-22s -> %-22s%s" % (k, want, got,
										  "  (%d hard/soft)" % flips if flips else ""))
		if verbose:
			for text, _ in examples[(want, got)]:
				print("          | " + text[:160])
	if bench:
		res = subprocess.run([DRIVER, "-b", str(bench)], input=data,
							 stdout=subprocess.PIPE, check=True)
		print(res.stdout.decode().strip())
	return 0


if __name__ == "__main__":
	sys.exit(main())
