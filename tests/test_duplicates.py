"""Near-duplicate signatures: the same text with small edits matches, different stories do not."""

from search.duplicates import band_keys, near_duplicates, signature

BASE = " ".join(f"শব্দ{i} খবর{i % 7} ঢাকা{i % 3} আজ" for i in range(120))


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
    # CRC-32, not Python's salted hash(): another interpreter computes the same signature.
    import subprocess
    import sys

    code = "from search.duplicates import signature; print(signature('এক দুই তিন চার পাঁচ ছয়'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip() == str(signature("এক দুই তিন চার পাঁচ ছয়"))


def test_empty_text_has_no_band_keys():
    assert not band_keys(signature(""))
