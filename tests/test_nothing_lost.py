"""Property: every removed span plus the kept text accounts for the whole input."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner
from cleaner.model import restore_text

LINES = [
    "The council approved the new budget after a debate that lasted well into the night.",
    "Residents said the plan would help the town keep its library open on weekends.",
    "“We cannot wait any longer for the province to act,” the mayor told reporters.",
    "Latest stories", "Road closed after storm...", "Bakery wins prize for bread...", "4 hours ago",
    "BREAKING: Storm warning issued", "Thank you.", "Jane Doe", "Jane Doe writes about local politics for the paper.",
    "Short line", "A clip of the storm shows damage. 1:02", "Town Hall NewsCouncil approves budget",
    "Council approves budget",
]
line = st.one_of(st.sampled_from(LINES), st.text(min_size=0, max_size=60))
separator = st.sampled_from(["\n", "\n\n", "\r\n", "\n \n", "\n\n\n", "\u00a0\n", " "])


@st.composite
def documents(draw):
    lines = draw(st.lists(line, min_size=0, max_size=25))
    seps = draw(st.lists(separator, min_size=len(lines), max_size=len(lines)))
    lead = draw(st.sampled_from(["", "\n", "  "]))
    return lead + "".join(a + b for a, b in zip(lines, seps))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_kept_text_plus_removals_rebuild_the_input(text):
    r = cleaner.clean_text(text)
    pos = 0
    for rem in r.removals:
        assert pos <= rem.start < rem.end <= len(text)  # sorted, non-overlapping, in bounds
        assert rem.text == text[rem.start:rem.end]
        pos = rem.end
    assert restore_text(r.text, r.removals) == text
