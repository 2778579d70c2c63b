"""Romanized (Banglish) queries: Avro-like transliteration to candidate Bangla spellings, snapped
to the index's own vocabulary so `nirbachon` runs as নির্বাচন and `bank` as ব্যাংক.

One concern in one module: most of its length is the transliteration tables (letter groups, joins,
onsets), each commented, which the reader and its tests read together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from search.bangla import TO_BANGLA_DIGITS
from search.lexicon import HASANTA, Lexicon, distance, fold, loose_key


class Alt(NamedTuple):
    """One reading of a Latin letter group: what it writes and what it costs.

    `first`/`last` say how it joins: C consonant (a hasanta may join it to a consonant before),
    V vowel (a sign after a consonant, else the independent letter), N a sign such as ং that
    attaches to anything, P a phala that only follows a consonant.
    """

    first: str
    last: str
    text: str  # after a consonant (for V: the vowel sign)
    initial: str  # elsewhere (for V: the independent vowel); same as text for the rest
    cost: float


def C(text: str, cost: float = 0.0) -> Alt:  # table constructors, named as the kinds they make
    return Alt("C", "C", text, text, cost)


def V(independent: str, sign: str, cost: float = 0.0, last: str = "V") -> Alt:
    return Alt("V", last, sign, independent, cost)


def N(text: str, cost: float = 0.0) -> Alt:
    return Alt("N", "N", text, text, cost)


def P(text: str, cost: float = 0.0) -> Alt:
    return Alt("P", "C", text, text, cost)


def NC(text: str, cost: float = 0.0) -> Alt:  # starts with a sign, ends in a consonant
    return Alt("N", "C", text, text, cost)


# Consonant letter groups. The first reading is Avro's; costs say how often readers mean the
# others. Costs are small numbers added along the word: 0 usual, ~0.3 common, ~1 unusual.
CONSONANTS: dict[str, tuple[Alt, ...]] = {
    "k": (C("ক"),),  # k
    "kh": (C("খ"), C("ক্ষ", 0.6)),  # kh; ক্ষ starts words sounding kh (khoma ক্ষমা)
    "kkh": (C("ক্ষ"), C("ক্খ", 1.0)),  # ক্ষ inside a word sounds kkh (porikkha পরীক্ষা)
    "ksh": (C("ক্ষ"),),  # Avro's spelling of ক্ষ
    "x": (C("ক্স"), C("ক্ষ", 1.0)),  # English x (taxi ট্যাক্সি)
    "q": (C("ক"),),  # English q (qatar কাতার)
    "g": (C("গ"), C("জ", 1.0)),  # g; soft English g (general জেনারেল)
    "gh": (C("ঘ"),),  # gh
    "ng": (N("ং"), C("ঙ", 0.3)),  # ng is ং (songsod সংসদ), ঙ before a consonant (ঙ্গ)
    "nk": (NC("ংক", 0.2), C("ঙ্ক", 0.2), C("ন্ক", 1.0)),  # nk: bank ব্যাংক
    "ngg": (C("ঙ্গ"), NC("ংগ", 0.2)),  # ngg is ঙ্গ (shongge সঙ্গে, bongo বঙ্গ)
    "c": (C("ক", 0.2), C("চ", 0.3), C("স", 0.6)),  # English c (cumilla, africa); Avro's চ; soft c
    "ch": (C("চ"), C("ছ", 0.3)),  # ch; readers write ch for ছ too (chatro ছাত্র)
    "chh": (C("ছ"),),  # Avro's chh
    "cch": (C("চ্ছ"), C("চ্চ", 0.5)),  # geminate ch (ichchha ইচ্ছা)
    "j": (C("জ"), C("য", 0.3)),  # য sounds j at a syllable start (juddho যুদ্ধ)
    "jh": (C("ঝ"),),  # jh
    "z": (C("জ"), C("য", 0.3)),  # z spells জ/য in names and loans (zia জিয়া)
    "t": (C("ত"), C("ট", 0.2), C("ৎ", 0.8)),  # t for dental and retroflex; ৎ ends words
    "th": (C("থ"), C("ঠ", 0.2), C("ট", 0.8)),  # th for both aspirates; English th (theatre)
    "d": (C("দ"), C("ড", 0.2)),  # d for dental and retroflex (English d is ড: godown)
    "dh": (C("ধ"), C("ঢ", 0.3)),  # dh
    "n": (C("ন"), C("ণ", 0.3), N("ঁ", 0.9)),  # n; ণ; n after a vowel may be ঁ (gaon গাঁও)
    "p": (C("প"),),  # p
    "ph": (C("ফ"),),  # ph
    "f": (C("ফ"),),  # f
    "b": (C("ব"), C("ভ", 0.8)),  # b
    "bh": (C("ভ"),),  # bh
    "v": (C("ভ"), C("ব", 0.5)),  # v is ভ (ovijan অভিযান), in English loans also ব
    "m": (C("ম"),),  # m
    "r": (C("র"), C("ড়", 0.3), C("ঢ়", 0.8)),  # r; ড় is typed r (pahar পাহাড়)
    "rh": (C("ঢ়"), C("ড়", 0.3)),  # Avro's rh
    "rr": (C("র", 0.1), C("ড়", 0.4)),  # doubled r is English spelling (perry পেরি): র্র is no word
    "l": (C("ল"),),  # l
    "s": (C("স"), C("শ", 0.2), C("ষ", 0.5), C("ছ", 0.8)),  # s for any sibilant; ছ in names (হাছান)
    "sh": (C("শ"), C("ষ", 0.2), C("স", 0.2)),  # sh for any sibilant: স is said sh
    "h": (C("হ"),),  # h
    "y": (C("য়", 0.1), P("্য", 0.2), V("ই", "ি", 0.8)),  # y glide; ya-phala; English y (story)
    "w": (P("্ব", 0.3), V("ও", "ও", 0.6)),  # w after a consonant is ba-phala (bishwa বিশ্ব)
    "ow": (P("্ব", 1.0),),  # ba-phala spelled by its sound (dowadosh দ্বাদশ)
    "tion": (C("শন", 0.1),),  # English -tion (station স্টেশন)
    "tch": (C("চ"),),  # English tch (match ম্যাচ)
    "cial": (C("শ্যাল", 0.2), C("শিয়াল", 0.4)),  # English -cial (social সোশ্যাল)
    "sion": (C("শন", 0.1),),  # English -sion (television টেলিভিশন)
}

# Vowel letter groups: the sign after a consonant, the independent letter elsewhere.
VOWELS: dict[str, tuple[Alt, ...]] = {
    "o": (V("অ", ""), V("ও", "ো", 0.2)),  # o is the inherent vowel, or ো
    "a": (  # a is া, also the inherent vowel (nirbachan); English a (bank, katy)
        V("আ", "া"),
        V("অ", "", 0.4),
        V("অ্যা", "্যা", 0.7),
        V("এ", "ে", 0.9),
    ),
    "aa": (V("আ", "া"),),  # aa
    "i": (V("ই", "ি"), V("ঈ", "ী", 0.2), V("আই", "াই", 1.2)),  # i; English i (bike বাইক)
    "ee": (V("ঈ", "ী"), V("ই", "ি", 0.1)),  # ee is dirgho i, often written short
    "ii": (V("ঈ", "ী"), V("ই", "ি", 0.2)),  # ii (rare)
    "u": (  # u; English short u is া or the inherent vowel (bus বাস, number নম্বর)
        V("উ", "ু"),
        V("ঊ", "ূ", 0.2),
        V("আ", "া", 1.0),
        V("অ", "", 1.0),
    ),
    "oo": (V("উ", "ু"), V("ঊ", "ূ", 0.3)),  # oo (English pool পুল)
    "uu": (V("ঊ", "ূ"), V("উ", "ু", 0.2)),  # uu (rare)
    "e": (V("এ", "ে"), V("অ্যা", "্যা", 0.8), V("ই", "ি", 0.7)),  # e; English e (set স্যাট)
    "oi": (V("ঐ", "ৈ"),),  # oi diphthong (boishakh বৈশাখ); o+i is tried too
    "ou": (V("ঔ", "ৌ"),),  # ou diphthong; o+u is tried too
    "ow": (V("আউ", "াউ", 0.4), V("ঔ", "ৌ", 0.5)),  # English ow (godown গোডাউন)
    "au": (V("আউ", "াউ", 0.3), V("ঔ", "ৌ", 0.5)),  # au
    "ai": (V("আই", "াই", 0.2), V("এই", "েই", 0.6), V("ঐ", "ৈ", 0.6)),  # ai (English mail মেইল)
    "ei": (V("এই", "েই"), V("ঈ", "ী", 0.5)),  # ei; a long i in English spellings (eid ঈদ)
    "igh": (V("আই", "াই", 0.2),),  # English igh (highway হাইওয়ে, flight ফ্লাইট)
    "ay": (V("এ", "ে", 0.6), V("এই", "েই", 0.6)),  # English ay (play প্লে); a+y gives ায় too
    "ey": (V("এ", "ে", 0.3), V("এই", "েই", 0.5)),  # English ey (they)
    "oa": (V("ও", "ো", 0.2),),  # English oa (load লোড)
    "ea": (V("ঈ", "ী", 0.5), V("ই", "ি", 0.5), V("ইয়া", "িয়া", 0.6)),  # team টিম; korea কোরিয়া
    "er": (V("আর", "ার", 0.6, last="C"),),  # English er before a consonant (jersey জার্সি)
    "ri": (V("ঋ", "ৃ", 0.5),),  # ri after a consonant may be ঋ-kar (krishi কৃষি); r+i is tried too
    "rri": (V("ঋ", "ৃ"),),  # Avro's rri
    "wa": (V("ওয়া", "ওয়া", 0.3),),  # wa glide (howa হওয়া)
}

# Groups read only at the end of a word: English endings and silent letters.
FINALS: dict[str, tuple[Alt, ...]] = {
    "e": (V("", "", 0.6),),  # silent English e (note নোট, josephine জোসেফিন)
    "y": (V("ই", "ি", 0.2),),  # English final y (katy কেটি)
    "ie": (V("ই", "ি", 0.1),),  # English final ie (charlie চার্লি)
    "ey": (V("ই", "ি", 0.3),),  # English final ey (jersey জার্সি)
    "ce": (C("স", 0.3), C("শ", 0.3)),  # English final ce (police পুলিশ, notice নোটিশ)
    "ge": (C("জ", 0.3),),  # English final ge (college কলেজ)
    "er": (  # English -er (voter ভোটার, number নম্বর); e+r gives ের too
        V("আর", "ার", 0.3, last="C"),
        V("অর", "র", 0.4, last="C"),
    ),
    "gue": (C("গ", 0.2),),  # English final gue (league লীগ)
    "ngue": (Alt("C", "V", "ঙ্গু", "ঙ্গু", 0.2),),  # English -ngue (dengue ডেঙ্গু)
    "que": (C("ক", 0.2),),  # English final que (tarique তারেক, boutique বুটিক)
    "h": (V("", "", 0.5),),  # a final h is often silent (allah আল্লা, salah সালাহ keeps it)
}

# Groups read only at the start of a word.
INITIALS: dict[str, tuple[Alt, ...]] = {
    "y": (C("ইয়", 0.1),),  # initial y is written ইয় (yaba ইয়াবা, yamal ইয়ামাল)
}

# Doubled consonants: readers double a letter for a conjunct (fotullay ফতুল্লায়), for a ya-phala
# (konna কন্যা, moddho মধ্য: ya-phala doubles the sound), or as English spelling (perry পেরি).
GEMINATE_COSTS = (("conjunct", 0.1), ("ya-phala", 0.5), ("single", 0.6))
GEMINABLE = ("k", "g", "c", "ch", "j", "t", "d", "n", "p", "b", "m", "l", "s", "sh", "f", "z")


def _geminates() -> dict[str, tuple[Alt, ...]]:
    table: dict[str, tuple[Alt, ...]] = {}
    for base in GEMINABLE:
        plain = [alt for alt in CONSONANTS[base] if alt.first == "C"]
        aspirate = CONSONANTS.get(base + "h", ())
        alts = []
        for alt in plain:
            alts.append(C(alt.text + HASANTA + alt.text, alt.cost + GEMINATE_COSTS[0][1]))
            alts.append(C(alt.text + HASANTA + "য", alt.cost + GEMINATE_COSTS[1][1]))
            alts.append(C(alt.text, alt.cost + GEMINATE_COSTS[2][1]))
        table[base + base] = tuple(alts)
        if aspirate and base + base + "h" not in CONSONANTS:
            # Aspirated geminates are written plain + aspirate (ddh দ্ধ, tth ত্থ); the doubled
            # aspirate can also be a ya-phala (moddho মধ্য).
            asp = []
            for p, a in zip(plain, aspirate, strict=False):
                asp.append(C(p.text + HASANTA + a.text, max(p.cost, a.cost) + 0.1))
            for a in aspirate:
                asp.append(C(a.text + HASANTA + "য", a.cost + 0.5))
                asp.append(C(a.text, a.cost + 0.6))
            table[base + base + "h"] = tuple(asp)
    return table


# English "magic e": a final consonant + e lengthens the vowel before it (note নোট, date ডেট,
# bike বাইক, june জুন); the e itself is silent. (vowel, independent, sign, cost) per vowel.
MAGIC_E_VOWELS = (
    ("o", "ও", "ো", 0.1),  # note, vote, rose: o is ো
    ("a", "এ", "ে", 0.3),  # date, case, make: a is ে
    ("i", "আই", "াই", 0.4),  # bike, line, time: i is াই (machine keeps ি via i + silent e)
    ("u", "উ", "ু", 0.3),  # june, rule, tube: u is ু
)
MAGIC_E_CONSONANTS = "bdfgklmnprstvz"  # single letters that close such a syllable


def _magic_e() -> dict[str, tuple[Alt, ...]]:
    table: dict[str, tuple[Alt, ...]] = {}
    for vowel, independent, sign, cost in MAGIC_E_VOWELS:
        for letter in MAGIC_E_CONSONANTS:
            alts = [a for a in CONSONANTS[letter] if a.first == "C"][:2]
            table[vowel + letter + "e"] = tuple(
                V(independent + a.text, sign + a.text, cost + a.cost, last="C") for a in alts
            )
    return table


FINALS.update(_magic_e())

# Costs that depend on the next letter: English soft c before e, i, y (notice নোটিশ, cinema
# সিনেমা) is স or শ, hardly ক. (group, reading) → (next letters, extra cost).
NEXT_LETTER_COSTS = {
    ("c", "ক"): ("eiy", 1.0),  # hard c reading before e/i/y
    ("c", "চ"): ("eiy", 0.5),  # Avro's c = চ is rare in romanized English words
}

RULES: dict[str, tuple[Alt, ...]] = {}
for _table in (CONSONANTS, VOWELS, _geminates()):
    for _group, _alts in _table.items():
        RULES[_group] = RULES.get(_group, ()) + _alts
MAX_GROUP = max(map(len, (*RULES, *FINALS, *INITIALS)))

# English letter names as Bangla writes them, for acronyms (bnp বিএনপি, ssc এসএসসি).
LETTER_NAMES = {
    "a": "এ", "b": "বি", "c": "সি", "d": "ডি", "e": "ই", "f": "এফ", "g": "জি", "h": "এইচ",
    "i": "আই", "j": "জে", "k": "কে", "l": "এল", "m": "এম", "n": "এন", "o": "ও", "p": "পি",
    "q": "কিউ", "r": "আর", "s": "এস", "t": "টি", "u": "ইউ", "v": "ভি", "w": "ডব্লিউ",
    "x": "এক্স", "y": "ওয়াই", "z": "জেড",
}  # fmt: skip
VOWEL_LETTERS = "aeiou"
ACRONYM_MAX = 6  # longer all-letter words are words, not initials
ACRONYM_COST_VOWELLESS = 0.2  # bnp, ssc: no vowel, so almost surely initials
ACRONYM_COST_ONSET = 0.4  # mbe, bgmea: no Bangla or English word starts with m+b or b+g
ACRONYM_COST = 1.5  # other short words may be initials too (dam ডিএএম is not likely)
ACRONYM_SHORT = 3  # up to this length a word with vowels may still be initials (ict, abc)
ONSET_PENALTY = 0.8  # reading a word that starts with an impossible pair (mb, bg) as sounds
# Two-consonant word starts that Banglish and English spellings have; other pairs (bn, mb, bg)
# mark initials. Aspirates (kh, bh) and digraphs (ch, sh) are letter groups, not pairs.
ONSETS = frozenset(
    "bl br by bw cl cr dr dw dy fl fr gl gr gw gy kl kr kw ky pl pr py sk sl sm sn sp st sw tr "
    "tw ty vr hr hy jy my ny ly ry sr ph bh ch dh gh jh kh rh sh th wh".split()
)


# Join costs between two consonants typed with no vowel between them: a conjunct (nirbachon
# নির্বাচন) or the unwritten inherent vowel, silent in speech (dorpoton দরপতন).
CONJUNCT_COST = 0.2
# Letters that hardly ever follow a hasanta: reading k+h as ক্হ instead of খ wastes a candidate.
CONJUNCT_EXTRA = {"হ": 1.5, "য়": 3.0, "ঙ": 1.5, "ঞ": 0.5, "ণ": 0.5}
SCHWA_COST = 0.3
GLIDE_COST = 0.3  # a vowel after a vowel written with য় (mohua মহুয়া) rather than independent
# A vowel right after a vowel: (cost as the independent letter, cost as য় + sign). Bangla writes
# a and e there with the য় glide (media মিডিয়া, biye বিয়ে); i, u, o mostly stand alone (bhai
# ভাই, dao দাও).
AFTER_VOWEL = {
    "আ": (0.5, 0.1),  # ia, ua: িয়া, ুয়া
    "এ": (0.5, 0.1),  # ie, oe: িয়ে, োয়ে
    "অ": (0.5, 0.3),  # an inherent vowel cannot follow a vowel: ও or য়
    "ই": (0.0, 0.6),  # ai: াই
    "উ": (0.0, 0.6),  # au: াউ
    "ও": (0.0, 0.3),  # ao: াও, or য়ো
}
GROUP_COST = 0.1  # each letter group costs a little, so kh reads as খ before k + h
UNKNOWN_COST = 1.0  # a character no rule reads is dropped

BEAM = 24  # partial spellings kept per position
CANDIDATES = 32  # spellings handed to snapping
CANDIDATES_CHEAPEST = 16  # of those, taken by cost alone; the rest one per new loose key


def is_romanized(word: str) -> bool:
    """True for a word in Latin letters (digits allowed) with no Bangla in it."""
    has_latin = any("a" <= ch <= "z" for ch in word.lower())
    return has_latin and not any("\u0980" <= ch <= "\u09ff" for ch in word)


def _joins(last: str | None, alt: Alt) -> tuple[tuple[str, float, str], ...]:
    """Ways to append `alt` after a spelling ending in kind `last`: (text, extra cost, new last)."""
    if alt.first == "C":
        if last == "C":
            conjunct = CONJUNCT_COST + CONJUNCT_EXTRA.get(alt.text[0], 0.0)
            return ((HASANTA + alt.text, conjunct, alt.last), (alt.text, SCHWA_COST, alt.last))
        return ((alt.text, 0.0, alt.last),)
    if alt.first == "V":
        if last == "C":
            return ((alt.text, 0.0, alt.last),)
        if last == "V":
            independent, glide = AFTER_VOWEL.get(alt.initial, (0.0, GLIDE_COST))
            if not alt.text:
                return ((alt.initial, independent, alt.last),)
            return ((alt.initial, independent, alt.last), ("য়" + alt.text, glide, alt.last))
        return ((alt.initial, 0.0, alt.last),)
    if alt.first == "P":
        return ((alt.text, 0.0, alt.last),) if last == "C" else ()
    return ((alt.text, 0.0, alt.last),) if last is not None and last != "N" else ()


@lru_cache(maxsize=4096)
def transliterations(word: str) -> tuple[tuple[str, float], ...]:
    """Candidate Bangla spellings of a romanized word with their costs, cheapest first."""
    word = word.lower()
    n = len(word)
    # Best-first lattice: at each position the cheapest partial spellings, keyed with the kind
    # of their last letter since that decides how the next group joins.
    states: list[dict[tuple[str, str | None], float]] = [{} for _ in range(n + 1)]
    states[0][("", None)] = 0.0
    for i in range(n):
        if not states[i]:
            continue
        beam = sorted(states[i].items(), key=lambda kv: kv[1])[:BEAM]
        matched = False
        for length in range(1, min(MAX_GROUP, n - i) + 1):
            group = word[i : i + length]
            alts = RULES.get(group, ())
            if i + length == n:
                alts = alts + FINALS.get(group, ())
            if i == 0:
                alts = alts + INITIALS.get(group, ())
            if not alts:
                continue
            matched = True
            target = states[i + length]
            following = word[i + length : i + length + 1]
            for alt in alts:
                context = NEXT_LETTER_COSTS.get((group, alt.text))
                alt_cost = alt.cost + GROUP_COST
                if context and following and following in context[0]:
                    alt_cost += context[1]
                for (text, last), cost in beam:
                    for add, extra, new_last in _joins(last, alt):
                        key = (text + add, new_last)
                        total = cost + alt_cost + extra
                        if total < target.get(key, math.inf):
                            target[key] = total
        if not matched:
            # A digit or a stray character: digits become Bangla digits, anything else is dropped.
            ch = word[i]
            add = ch.translate(TO_BANGLA_DIGITS) if ch.isdigit() else ""
            target = states[i + 1]
            for (text, last), cost in beam:
                key = (text + add, last)
                total = cost + (0.0 if add else UNKNOWN_COST)
                if total < target.get(key, math.inf):
                    target[key] = total
    bad_onset = n > 1 and word[0] not in VOWEL_LETTERS and word[1] not in VOWEL_LETTERS + "y"
    bad_onset = bad_onset and word[:2] not in ONSETS and word.isalpha()
    penalty = ONSET_PENALTY if bad_onset else 0.0
    best: dict[str, float] = {}
    for (text, _last), cost in states[n].items():
        if text and cost + penalty < best.get(text, math.inf):
            best[text] = cost + penalty
    vowelless = not any(ch in VOWEL_LETTERS for ch in word)
    if 1 < n <= ACRONYM_MAX and word.isalpha() and (vowelless or bad_onset or n <= ACRONYM_SHORT):
        spelled = "".join(LETTER_NAMES[ch] for ch in word)
        if vowelless:
            cost = ACRONYM_COST_VOWELLESS
        elif bad_onset:
            cost = ACRONYM_COST_ONSET
        else:
            cost = ACRONYM_COST
        best[spelled] = min(best.get(spelled, math.inf), cost)
    ranked = sorted(best.items(), key=lambda kv: kv[1])
    # The cheapest spellings, then the cheapest of each further loose key: spellings that
    # differ only in i/ī, s/sh or o/a find the same terms, so variety reaches more of them.
    chosen = ranked[:CANDIDATES_CHEAPEST]
    keys = {loose_key(text) for text, _cost in chosen}
    for text, cost in ranked[CANDIDATES_CHEAPEST:]:
        if len(chosen) >= CANDIDATES:
            break
        key = loose_key(text)
        if key not in keys:
            keys.add(key)
            chosen.append((text, cost))
    return tuple(chosen)


def transliterate(word: str) -> list[str]:
    """Candidate Bangla spellings of a romanized word, most likely first."""
    return [text for text, _cost in transliterations(word)]


# Snapping: a candidate's score is its transliteration cost, plus how far the vocabulary term is
# from it, minus a prior for common terms (a reader most likely means the word news uses).
PRIOR_WEIGHT = 1.3  # prior runs 0..1 on log document frequency
LOOSE_PENALTY = 0.4  # the term shares only the loose key with a candidate (o/a, hasanta, phala)
NEIGHBOUR_PENALTY = 0.8  # the loose key is one i/u/e vowel away (heru for হিরু)
DISTANCE_WEIGHT = 0.5  # per unit of weighted edit distance between candidate and term
# Per letter the analyzer cut off a candidate: a misread word whose tail looks like an ending
# (করেতা → কর) must not win on the frequency of a short stem.
STEM_CUT_PENALTY = 0.2
LOOSE_KEYS = 8  # distinct loose keys looked up, cheapest candidates first
NEIGHBOUR_KEYS = 3  # of those, how many also try one-vowel-away keys
BUCKET_LIMIT = 25  # most frequent terms taken from one loose-key bucket
REFINE = 12  # best pre-scored loose hits whose edit distance is computed
ALTERNATIVE_MARGIN = 0.35  # other terms within this of the best are ORed in
MAX_ALTERNATIVES = 3
COMPOUND_MAX_SCORE = 2.0  # a joined reading must be about as good as a plain word's
COMPOUND_PARTS = 4  # spellings of each word glued when looking for a compound
FREQUENT_LATIN_DF = 20  # a Latin word this common in the index is kept as it is, alone

# A Latin word may carry an apostrophe ending (bnp'r, cox's): the ending is dropped, as the
# analyzer would strip the Bangla case ending it stands for.
_TOKEN = re.compile(r"([A-Za-z0-9]+)(?:['’][A-Za-z]{1,3}\b)?|([\u0980-\u09ff\u200c\u200d]+)")


@dataclass(frozen=True)
class Reading:
    """How one word of the query is read: `terms` are analyzed index terms to OR, best first."""

    source: str  # the word as typed
    display: str  # what the interpreted query shows for it
    terms: tuple[str, ...]
    romanized: bool
    # How sure the reading is, 0..1 (`reading_confidence`); 1 for a word kept as typed.
    confidence: float = 1.0


@dataclass(frozen=True)
class Interpretation:
    """A query with each romanized word replaced by the Bangla terms it most likely means."""

    query: str
    words: tuple[Reading, ...]

    @property
    def text(self) -> str:
        """The Bangla query to run and to report as `interpreted_query`."""
        return " ".join(word.display for word in self.words if word.display)

    @property
    def alternatives(self) -> list[tuple[str, ...]]:
        """Per word, the analyzed terms to OR (already analyzed: build term queries from them)."""
        return [word.terms for word in self.words if word.terms]

    @property
    def changed(self) -> bool:
        """True when some romanized word was read as Bangla."""
        return any(word.romanized and word.display != word.source for word in self.words)


def _analyze_each(texts: list[str], analyze: Callable[[str], list[str]]) -> list[str | None]:
    """The single analyzed term of each text (None when it analyzes to none or several)."""
    joined = analyze(" ".join(texts))
    # One call for all when nothing was dropped or split: same count, and each term starts
    # with its text's letter (a dropped word and a split one could otherwise shift the rest).
    if len(joined) == len(texts) and all(t[:1] == x[:1] for t, x in zip(joined, texts, strict=True)):
        return list(joined)
    out: list[str | None] = []
    for text in texts:
        terms = analyze(text)
        out.append(terms[0] if len(terms) == 1 else None)
    return out


def snap(word: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> list[tuple[str, float]]:
    """Vocabulary terms a romanized word may mean, with scores (lower is better), best first."""
    return _snap(word, lexicon, analyze)[0]


def _snap(
    word: str,
    lexicon: Lexicon,
    analyze: Callable[[str], list[str]],
    candidates: tuple[tuple[str, float], ...] | None = None,
) -> tuple[list[tuple[str, float]], dict[str, str]]:
    """`snap`, plus for terms spelled exactly by a candidate the candidate (a surface form)."""
    if candidates is None:
        candidates = transliterations(word)
    analyzed = _analyze_each([text for text, _cost in candidates], analyze)
    scores: dict[str, float] = {}
    surfaces: dict[str, str] = {}
    loose_seen: dict[str, tuple[float, str]] = {}
    for (text, cost), term in zip(candidates, analyzed, strict=True):
        if not term:
            continue
        if term in lexicon:
            cut = max(len(text) - len(term), 0) * STEM_CUT_PENALTY
            score = cost + cut - PRIOR_WEIGHT * lexicon.prior(term)
            if score < scores.get(term, math.inf):
                scores[term] = score
                surfaces[term] = text
        key = loose_key(term)
        if key not in loose_seen:  # candidates come cheapest first: keep the first per key
            loose_seen[key] = (cost, fold(term))
    pre: dict[str, tuple[float, str]] = {}
    for rank, (key, (cost, folded)) in enumerate(list(loose_seen.items())[:LOOSE_KEYS]):
        keyed = [(key, LOOSE_PENALTY)]
        if rank < NEIGHBOUR_KEYS:
            keyed += [(k, NEIGHBOUR_PENALTY) for k in lexicon.loose_neighbours(key)]
        for k, penalty in keyed:
            for term in lexicon.loose_bucket(k)[:BUCKET_LIMIT]:
                if term in scores:
                    continue
                score = cost + penalty - PRIOR_WEIGHT * lexicon.prior(term)
                if score < pre.get(term, (math.inf, ""))[0]:
                    pre[term] = (score, folded)
    for term, (score, folded) in sorted(pre.items(), key=lambda kv: kv[1][0])[:REFINE]:
        d = distance(folded, lexicon.folded(term), limit=4.0)
        scores[term] = score + DISTANCE_WEIGHT * min(d, 4.0)
    return sorted(scores.items(), key=lambda kv: kv[1]), surfaces


def reading_confidence(score: float, word: str) -> float:
    """How sure the best reading of a romanized `word` is, 0..1: one less its snapping score (`snap`)
    per letter typed. A real word's spelling costs little per letter however long it is; a run of
    letters that spells no word (zzzzqqq, qwrtzp) costs much per letter wherever it is snapped."""
    return min(1.0, max(0.0, 1.0 - score / max(len(word), 1)))


def _read_romanized(word: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> Reading:
    latin = analyze(word)
    latin_term = latin[0] if len(latin) == 1 and latin[0] in lexicon else None
    if latin_term and lexicon.df(latin_term) >= FREQUENT_LATIN_DF:
        return Reading(word, word, (latin_term,), True)
    ranked, surfaces = _snap(word, lexicon, analyze)
    terms: list[str] = []
    if ranked:
        best = ranked[0][1]
        terms = [t for t, s in ranked[:MAX_ALTERNATIVES] if s <= best + ALTERNATIVE_MARGIN]
    if latin_term:
        # The index has the Latin word itself: it stays, first when it is the more common form.
        if lexicon.df(latin_term) >= max((lexicon.df(t) for t in terms), default=0):
            terms.insert(0, latin_term)
        else:
            terms.append(latin_term)
    if not terms:
        return Reading(word, word, tuple(latin), True, confidence=0.0)
    if terms[0] == latin_term:
        return Reading(word, word, tuple(terms), True)
    # Show a spelling that analyzes to the term (a stem may not be a word a reader knows).
    surface = surfaces.get(terms[0], terms[0])
    if analyze(surface) != [terms[0]]:
        surface = terms[0]
    return Reading(word, surface, tuple(terms), True, reading_confidence(ranked[0][1], word))


def _read_number(word: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> Reading:
    # The archive writes Bangla digits; ASCII digits typed on a phone mean the same number.
    for surface in (word.translate(TO_BANGLA_DIGITS), word):
        terms = analyze(surface)
        if terms and all(t in lexicon for t in terms):
            return Reading(word, surface, tuple(terms), False)
    return Reading(word, word, tuple(analyze(word)), False)


def interpret(query: str, lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> Interpretation:
    """Read each romanized word of `query` as the Bangla terms of `lexicon` it most likely means.

    Bangla words pass through unchanged; ASCII numbers become Bangla digits when the index has
    those. `analyze` is the index's analyzer, so candidates meet terms in the analyzed space.
    """
    readings = []
    for latin, bangla in _TOKEN.findall(query):
        word = latin or bangla
        if is_romanized(word):
            readings.append(_read_romanized(word, lexicon, analyze))
        elif word.isascii() and word.isdigit():
            readings.append(_read_number(word, lexicon, analyze))
        else:
            readings.append(Reading(word, word, tuple(analyze(word)), False))
    _add_compounds(readings, lexicon, analyze)
    return Interpretation(query, tuple(readings))


def _add_compounds(readings: list[Reading], lexicon: Lexicon, analyze: Callable[[str], list[str]]) -> None:
    """Two romanized words that Bangla writes as one (chhatro jonota ছাত্রজনতা, chhera fata
    ছেঁড়াফাটা): the joined term, when the index has it, is ORed into both words."""
    for i in range(len(readings) - 1):
        first, second = readings[i], readings[i + 1]
        if not (first.romanized and second.romanized and first.terms and second.terms):
            continue
        # The cheapest spellings of each word, glued: cheaper than reading the joined word anew.
        glued = sorted(
            (a + b, cost_a + cost_b)
            for a, cost_a in transliterations(first.source)[:COMPOUND_PARTS]
            for b, cost_b in transliterations(second.source)[:COMPOUND_PARTS]
        )
        glued.sort(key=lambda pair: pair[1])
        ranked = _snap(first.source + second.source, lexicon, analyze, tuple(glued))[0]
        if not ranked or ranked[0][1] > COMPOUND_MAX_SCORE:
            continue
        joined = ranked[0][0]
        if joined in first.terms or joined in second.terms:
            continue  # a word and its ending typed apart (eid er ঈদের), not a compound
        for j in (i, i + 1):
            readings[j] = replace(readings[j], terms=(*readings[j].terms, joined))
