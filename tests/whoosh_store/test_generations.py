"""A generation's list of the files it read (files.jsonl): written and read back as it was."""

from __future__ import annotations

import json

from search.whoosh_store.generations import FILES_FILE, read_files, write_files


def test_the_file_list_is_a_json_object_per_line_and_reads_back_whole(tmp_path):
    """Every name a folder can hold comes back as it was: quotes, backslashes, a newline, a lone
    surrogate (a byte that is not UTF-8), Bangla; and the lines are those json.dumps writes."""
    files = {
        "/src/সাধারণ.txt": ("12:345", "0001_aaaaaaaaaaaaaaaa"),
        '/src/a "quoted" \\ name.txt': ("1:2", None),
        "/src/new\nline\t.txt": ("3:4", "x"),
        "/src/\udcff-not-utf8.txt": ("5:6", "y"),
        '/src/}, {"path": "forged.txt': ("7:8", None),
    }
    write_files(tmp_path, files)
    text = (tmp_path / FILES_FILE).read_text(encoding="ascii")
    expected = "".join(
        json.dumps({"path": p, "fingerprint": f, "id": i}) + "\n" for p, (f, i) in sorted(files.items())
    )
    assert text == expected
    assert read_files(tmp_path) == files
    write_files(tmp_path, {})
    assert read_files(tmp_path) == {}
