"""Properties of the ICAO Latin form and the match key over random names.

Names are drawn from the letters the hub's tables know (Cyrillic with the
Kazakh and Central Asian extras, and A-Z) plus the separators agencies use, so
each property states something the module promises:

* ``icao_latin`` yields only A-Z words separated by single spaces (it is what an
  MRZ prints) and is idempotent: a Latin form is its own Latin form;
* the key does not depend on case, separators or apostrophes, and reads
  Cyrillic through the same tables, so a name and its ICAO form share a key
  (Ъ aside: ICAO writes it IE, the key keeps it silent).
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hub.intake.identity.translit import (
    HUB_CYRILLIC_EXTRA,
    ICAO_CYRILLIC,
    LANGUAGE_OVERRIDES,
    icao_latin,
    match_key,
)

LETTERS = sorted(set(ICAO_CYRILLIC) | set(HUB_CYRILLIC_EXTRA)) + [chr(c) for c in range(65, 91)]
SEPARATORS = [" ", "-", "'", "’", "  ", "–"]
words = st.text(st.sampled_from(LETTERS), min_size=1, max_size=12)
names = st.lists(
    st.tuples(words, st.sampled_from(SEPARATORS)), min_size=1, max_size=4
).map(lambda parts: "".join(w + s for w, s in parts))
LATIN_FORM = re.compile(r"^(?:[A-Z]+(?: [A-Z]+)*)?$")


@given(names, st.sampled_from([None, *LANGUAGE_OVERRIDES]))
def test_latin_form_is_mrz_letters_and_single_spaces(name: str, lang: str | None) -> None:
    assert LATIN_FORM.match(icao_latin(name, lang))


@given(names, st.sampled_from([None, *LANGUAGE_OVERRIDES]))
def test_latin_form_is_idempotent(name: str, lang: str | None) -> None:
    latin = icao_latin(name, lang)
    assert icao_latin(latin) == latin and icao_latin(latin, lang) == latin


@given(names)
def test_latin_form_ignores_case(name: str) -> None:
    assert icao_latin(name.lower()) == icao_latin(name) == icao_latin(name.upper())


@given(names)
def test_key_ignores_case_and_separators(name: str) -> None:
    key = match_key(name)
    assert match_key(name.lower()) == key
    assert match_key(re.sub(r"[ \-'’–]", "", name)) == key
    assert match_key(name.replace(" ", "-")) == key


@given(names.filter(lambda n: "Ъ" not in n.upper()))
def test_a_name_and_its_icao_form_share_a_key(name: str) -> None:
    assert match_key(icao_latin(name)) == match_key(name)


@given(names)
def test_key_is_upper_case_letters(name: str) -> None:
    assert re.fullmatch(r"[A-Z]*", match_key(name))


@given(st.text(st.sampled_from(" -'’.,/–"), max_size=8))
def test_a_name_without_letters_has_empty_forms(name: str) -> None:
    assert icao_latin(name) == "" and match_key(name) == ""
