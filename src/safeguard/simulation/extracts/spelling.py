"""How a name gets mis-written: keying errors, phonetic spellings, stripped accents, Mac/Mc/O'.

Keying errors follow Damerau's finding that most misspellings are one substitution, deletion,
insertion or transposition, with substitutions and insertions drawn from the neighbouring keys
of a QWERTY keyboard. Phonetic spellings are what a call handler types from a name heard on the
phone (Steven for Stephen, Kathryn for Catherine, Philips for Phillips).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for c, key in enumerate(row):
        near = [row[c - 1] if c > 0 else "", row[c + 1] if c + 1 < len(row) else ""]
        for other in (r - 1, r + 1):
            if 0 <= other < len(_ROWS):
                near += [_ROWS[other][k] for k in (c - 1, c, c + 1) if 0 <= k < len(_ROWS[other])]
        _NEIGHBOURS[key] = "".join(n for n in near if n)

#: (pattern, replacement): sound-alike spellings, tried in a random order
PHONETIC: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("f", "ph"),
    ("ck", "k"),
    ("k", "ck"),
    ("ee", "ea"),
    ("ea", "ee"),
    ("ie$", "y"),
    ("y$", "ie"),
    ("ey$", "y"),
    ("ou", "ow"),
    ("son$", "sen"),
    ("sen$", "son"),
    ("ll", "l"),
    ("tt", "t"),
    ("nn", "n"),
    ("l(?=[aeiou])", "ll"),
    ("c(?=[aou])", "k"),
    ("k(?=[aou])", "c"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("th", "t"),
    ("en$", "an"),
    ("an$", "en"),
    ("er$", "a"),
    ("a$", "er"),
    ("ine$", "ene"),
    ("yn", "in"),
    ("in", "yn"),
    ("ie", "ei"),
    ("ei", "ie"),
    ("w", "wh"),
    ("z", "s"),
    ("s(?=[aeiou])", "z"),
    ("x", "cks"),
    ("ue$", "u"),
    ("ch", "tch"),
    ("dg", "g"),
    ("ough", "ow"),
    ("eigh", "ay"),
    ("ey", "ay"),
    ("oa", "o"),
)
_PHONETIC = tuple((re.compile(p), r) for p, r in PHONETIC)
_WHOLE: dict[str, str] = {
    "stephen": "steven",
    "steven": "stephen",
    "catherine": "kathryn",
    "katherine": "catherine",
    "kathryn": "katherine",
    "philip": "phillip",
    "phillip": "philip",
    "phillips": "philips",
    "geoffrey": "jeffrey",
    "jeffrey": "geoffrey",
    "sean": "shaun",
    "shaun": "sean",
    "claire": "clare",
    "clare": "claire",
    "ann": "anne",
    "anne": "ann",
    "jon": "john",
    "mathew": "matthew",
    "matthew": "mathew",
    "rachael": "rachel",
    "rachel": "rachael",
    "nicola": "nichola",
    "louise": "louisa",
    "thompson": "thomson",
    "thomson": "thompson",
    "davies": "davis",
    "davis": "davies",
    "clark": "clarke",
    "clarke": "clark",
    "gray": "grey",
    "grey": "gray",
    "reid": "reed",
    "reed": "reid",
    "smith": "smyth",
    "macdonald": "mcdonald",
    "jackson": "jaxon",
    "mohammed": "mohamed",
}


def keying_error(word: str, rng: np.random.Generator) -> str:
    """One keying error, mostly a neighbouring key, never on the first letter."""
    if len(word) < 3:
        return word
    pos = 1 + int(rng.integers(0, len(word) - 1))
    kind = rng.random()
    ch = word[pos].lower()
    near = _NEIGHBOURS.get(ch, "aeiou")
    letter = near[int(rng.integers(0, len(near)))]
    if word[pos].isupper():
        letter = letter.upper()
    if kind < 0.40:
        return word[:pos] + letter + word[pos + 1 :]
    if kind < 0.65:
        return word[:pos] + word[pos + 1 :]
    if kind < 0.80:
        return word[:pos] + letter + word[pos:]
    if pos + 1 < len(word):
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    return word[:pos] + word[pos - 1]


def phonetic(word: str, rng: np.random.Generator) -> str:
    """A sound-alike spelling, or ``word`` when none applies."""
    low = word.lower()
    whole = _WHOLE.get(low)
    if whole is not None and rng.random() < 0.7:
        return _recase(whole, word)
    for k in rng.permutation(len(_PHONETIC)):
        pattern, repl = _PHONETIC[int(k)]
        # never the first letter: a name heard is rarely mis-heard at its start
        m = pattern.search(low, 1)
        if m is not None:
            return _recase(low[: m.start()] + repl + low[m.end() :], word)
    return word


def _recase(new: str, like: str) -> str:
    if like.isupper():
        return new.upper()
    if like[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "ß": "ss"})


def strip_accents(text: str) -> str:
    """Łukasz -> Lukasz, Wójcik -> Wojcik, Nguyễn -> Nguyen (as most systems store them)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MAC = re.compile(r"^(Mac|Mc|M')\s?(\w)(.*)$", re.IGNORECASE)
_O = re.compile(r"^O['’ ]?\s?([A-Z])(.*)$")


def prefix_form(surname: str, rng: np.random.Generator) -> str:
    """MacDonald as McDonald, Macdonald, Mc Donald; O'Brien as OBrien, O Brien, Obrien, Brien."""
    m = _MAC.match(surname)
    if m:
        _, first, rest = m.groups()
        forms = (
            f"Mc{first.upper()}{rest}",
            f"Mac{first.upper()}{rest}",
            f"Mac{first.lower()}{rest}",
            f"Mc {first.upper()}{rest}",
            f"M'{first.upper()}{rest}",
        )
        return forms[int(rng.integers(0, len(forms)))]
    m = _O.match(surname)
    if m and len(surname) > 3:
        first, rest = m.groups()
        o_forms = (f"O{first}{rest}", f"O {first}{rest}", f"O{first.lower()}{rest}", first + rest)
        return str(o_forms[int(rng.integers(0, len(o_forms)))])
    return surname


def has_prefix(surname: str) -> bool:
    return bool(_MAC.match(surname) or (_O.match(surname) and len(surname) > 3))
