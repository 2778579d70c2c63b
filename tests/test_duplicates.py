"""Near-duplicate signatures: the same text with small edits matches, different stories do not."""

from hypothesis import given
from hypothesis import strategies as st

from search.duplicates import band_keys, near_duplicates, signature, word_hashes

BASE = " ".join(f"শব্দ{i} খবর{i % 7} ঢাকা{i % 3} আজ" for i in range(120))
SIGNATURE_OF_BASE = (
    134314524,
    156541549,
    62058434,
    39758763,
    654275548,
    52806869,
    14827362,
    87835651,
    24867512,
    25017621,
    284771074,
    27418451,
)


def test_identical_texts_are_near_duplicates():
    assert near_duplicates(signature(BASE), signature(BASE))


def test_a_small_edit_is_still_a_near_duplicate():
    edited = BASE.replace("শব্দ5 ", "শব্দপাঁচ ") + " শেষে একটি নতুন বাক্য।"
    assert near_duplicates(signature(BASE), signature(edited))
    assert set(band_keys(signature(BASE))) & set(band_keys(signature(edited)))


def test_different_stories_are_not():
    other = " ".join(f"অন্য{i} গল্প{i % 5} খুলনা আজ" for i in range(120))
    assert not near_duplicates(signature(BASE), signature(other))


def test_half_shared_text_is_not_one_story():
    half = " ".join(BASE.split()[:240]) + " " + " ".join(f"নতুন{i} অংশ{i}" for i in range(120))
    assert not near_duplicates(signature(BASE), signature(half))


def test_signature_is_stable_across_processes():
    # Not Python's salted hash(): another interpreter computes the same signature.
    import subprocess
    import sys

    code = "from search.duplicates import signature; print(signature('এক দুই তিন চার পাঁচ ছয়'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip() == str(signature("এক দুই তিন চার পাঁচ ছয়"))


def test_empty_text_has_no_band_keys():
    assert not band_keys(signature(""))


def _polynomial_hash(word: str) -> int:
    return sum(ord(c) * 0x100000001B3**i for i, c in enumerate(word)) % 2**64


@given(st.text(alphabet="কখাি্ AbİЖ\u200c\n\t\u3000\u00a0😀।,", max_size=30))
def test_word_hashes_hash_each_whitespace_separated_word(text):
    assert word_hashes(text).tolist() == [_polynomial_hash(w) for w in text.lower().split()]


def test_a_word_hashes_the_same_wherever_it_stands():
    first, *_, last = word_hashes("ঢাকা আজ  বৃষ্টি\nঢাকা").tolist()
    assert first == last


def test_a_text_longer_than_the_kept_power_tables_hashes_the_same():
    from search import duplicates

    words = ["ক" * 50 + str(i) for i in range(duplicates._KEPT_POWERS // 50)]
    text = " ".join(words)
    assert len(text) > duplicates._KEPT_POWERS
    assert word_hashes(text).tolist()[-3:] == [_polynomial_hash(w) for w in words[-3:]]


def test_signatures_are_what_indexes_hold():
    # Signatures are stored in the index: a change of hash must come with a new schema version
    # (search/index.py: SCHEMA_VERSION), else old and new articles are never found alike.
    assert signature(BASE) == SIGNATURE_OF_BASE


def test_near_duplicate_pairs_are_the_pairs_band_keys_and_the_whole_signature_find():
    """The pairs found with numpy are those a key per band and a check of the whole signature
    find, over the corpus's signatures (with its re-crawls and syndicated copies), empty
    signatures among them."""
    import numpy as np

    from search.article import PageRejected
    from search.duplicates import near_duplicate_pairs
    from search.pages import read_page, scan_sources
    from tests.conftest import SHARED_CORPUS

    corpus = SHARED_CORPUS / "pages"
    bodies = []
    for path in scan_sources([corpus]).pages[:1500] if corpus.exists() else []:
        try:
            bodies.append(read_page(path).body)
        except PageRejected:
            continue
    # Stories, each with versions edited a word or a sentence at a time: pairs of every kind.
    for story in range(40):
        words = [f"শব্দ{story}_{i}" for i in range(60 + story)]
        for edit in range(5):
            bodies.append(" ".join(words[: len(words) - 3 * edit] + [f"নতুন{edit}"] * edit))
    bodies += [BASE, " ".join(BASE.split()[:-4]), "", "এক শব্দ"]
    signatures = [signature(body) for body in bodies]
    buckets: dict[str, list[int]] = {}
    for row, sig in enumerate(signatures):
        for key in band_keys(sig):
            buckets.setdefault(key, []).append(row)
    expected = {
        (a, b)
        for rows in buckets.values()
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if near_duplicates(signatures[a], signatures[b])
    }
    found = near_duplicate_pairs(np.array(signatures, dtype=np.uint64))
    assert {tuple(pair) for pair in found.tolist()} == expected
    assert len(expected) >= 100  # the edited stories, BASE, and copies in the corpus
