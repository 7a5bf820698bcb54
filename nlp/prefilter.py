"""Which of several regular expressions could match a text, told without running them.

Python's `re` tries every branch of a large alternation at every position of the text, so the
situation rules (nlp.urgency) cost ~100 µs a chat message although four messages in five match none
of them. Every match of a rule contains certain literal strings (`电梯` and one of `困人|关人|…`);
those are read once from the rule's parse tree, and one Aho-Corasick pass (pyahocorasick, a
maintained C implementation) finds which of them a text holds. A rule none of whose required
strings is present cannot match the text, nor any part of it (a sentence), and is not run; the
others are run as before, so the answers are exactly those of running every rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from re import _parser  # type: ignore[attr-defined]  # the standard library's own regex parser
from typing import Any

import ahocorasick

# A character class of at most this many characters becomes that many one-character strings.
_SMALL_CLASS = 16


@dataclass(frozen=True)
class _Need:
    """What any match contains: one of `strings`, what each of `all_of` needs, what one of `any_of` needs."""

    strings: frozenset[str] = frozenset()
    all_of: tuple[_Need, ...] = ()
    any_of: tuple[_Need, ...] = ()

    def atoms(self) -> frozenset[str]:
        """Every string this need names; a match holds at least one of them."""
        return self.strings.union(*(need.atoms() for need in (*self.all_of, *self.any_of)))

    def clauses(self) -> list[list[frozenset[str]]]:
        """The need as alternatives, each a list of string sets a match holds one of each of. A nested
        alternative inside them is loosened to the set of all its strings (still true of every match)."""
        if self.any_of and not self.strings and not self.all_of:
            return [clause for need in self.any_of for clause in need.clauses()]
        return [self._sets()]

    def _sets(self) -> list[frozenset[str]]:
        sets = [self.strings] if self.strings else []
        sets += [s for need in self.all_of for s in need._sets()]
        if self.any_of:
            sets.append(frozenset().union(*(need.atoms() for need in self.any_of)))
        # Most telling first: long strings, then few of them.
        return sorted(sets, key=lambda strings: (-min(map(len, strings)), len(strings)))


def _one_of(needs: list[_Need | None]) -> _Need | None:
    """What a match of one of several alternatives needs (None: nothing, some alternative needs none)."""
    if not needs or any(need is None for need in needs):
        return None
    known = [need for need in needs if need is not None]
    if all(not need.all_of and not need.any_of for need in known):
        return _Need(strings=frozenset().union(*(need.strings for need in known)))
    return _Need(any_of=tuple(known))


def _all_of(needs: list[_Need]) -> _Need | None:
    if not needs:
        return None
    return needs[0] if len(needs) == 1 else _Need(all_of=tuple(needs))


def _class_chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, value in items:
        if op is _parser.LITERAL:
            chars.add(chr(value))
        elif op is _parser.RANGE and value[1] - value[0] < _SMALL_CLASS:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # NEGATE, CATEGORY, a wide range
            return None
    return frozenset(chars) if 0 < len(chars) <= _SMALL_CLASS else None


def _sequence(items: Any) -> _Need | None:
    """What a match of a sequence of parse items needs: each item's need; runs of literal
    characters are one string."""
    needs: list[_Need] = []
    run: list[str] = []
    for op, value in items:
        if op is _parser.LITERAL:
            run.append(chr(value))
            continue
        if run:
            needs.append(_Need(strings=frozenset({"".join(run)})))
            run = []
        need = _item(op, value)
        if need is not None:
            needs.append(need)
    if run:
        needs.append(_Need(strings=frozenset({"".join(run)})))
    return _all_of(needs)


def _item(op: Any, value: Any) -> _Need | None:
    if op is _parser.SUBPATTERN:
        _group, add_flags, _del_flags, sub = value
        return None if add_flags & re.IGNORECASE else _sequence(sub)
    if op is _parser.BRANCH:
        return _one_of([_sequence(branch) for branch in value[1]])
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
        low, _high, sub = value
        return _sequence(sub) if low >= 1 else None
    if op is _parser.ATOMIC_GROUP:
        return _sequence(value)
    if op is _parser.IN:
        chars = _class_chars(value)
        return _Need(strings=chars) if chars else None
    return None  # ANY, NOT_LITERAL, AT, assertions, group references: no string required


def need(pattern: re.Pattern[str]) -> _Need | None:
    """The strings any match of the pattern contains (None when it may match without any)."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence(_parser.parse(pattern.pattern, pattern.flags))


class Prefilter:
    """The patterns among several that could match a text (a superset of those that do)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        needs = [need(pattern) for pattern in patterns]
        self._count = len(needs)
        self._always = [i for i, n in enumerate(needs) if n is None]
        # Each alternative of each pattern, filed under the strings of its most telling set.
        self._by_atom: dict[str, list[tuple[int, list[frozenset[str]]]]] = {}
        atoms: set[str] = set()
        for index, n in enumerate(needs):
            atoms |= n.atoms() if n is not None else set()
            for first, *rest in n.clauses() if n is not None else ():
                for atom in first:
                    self._by_atom.setdefault(atom, []).append((index, rest))
        self._automaton: Any = ahocorasick.Automaton()
        for atom in atoms:
            self._automaton.add_word(atom, atom)
        if atoms:
            self._automaton.make_automaton()

    def possible(self, text: str) -> list[int]:
        """Indices of the patterns that may match the text or a part of it, in ascending order."""
        if not self._by_atom:
            return self._always
        found = {atom for _end, atom in self._automaton.iter(text)}
        possible = set(self._always)
        for atom in found:
            for index, rest in self._by_atom.get(atom, ()):
                if index not in possible and all(not strings.isdisjoint(found) for strings in rest):
                    possible.add(index)
        return sorted(possible)


class Guarded:
    """A pattern whose search is not run on a text that lacks the strings every match holds."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._filter = Prefilter([pattern])

    def search(self, text: str) -> re.Match[str] | None:
        """pattern.search(text), answered None at once when the prefilter rules a match out."""
        return self.pattern.search(text) if self._filter.possible(text) else None
