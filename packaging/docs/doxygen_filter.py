# SPDX-License-Identifier: MIT
"""Doxygen's input filter for include/qwen3vl.h: the header's plain C comments, read as Doxygen
reads its own, so the header keeps the comment style a C reader expects. Line numbers are kept.

- the first comment after the SPDX line is the file's description (@file);
- a comment right above a declaration documents it (/** ... */);
- a comment after a declaration on the same line documents that declaration (/**< ... */);
- a one-line comment above two or more #defines of one family (QWEN3VL_LOG_*) names them as a
  group (@name ... @{ @});
- indented lines in a comment (tables, code, lists) are shown as written (@verbatim), and a
  "#name" elsewhere in a comment is C's, not a Doxygen link;
- a section line, /* ---- Title ---- */, opens a group of the declarations up to the next one
  (@defgroup ... @{ @}: a page of the reference and a man page each); the text under the title,
  or a comment standing alone right after it, is the group's description;
- mainpage.md, beside this file, is appended as the reference's front page (as an input file of its
  own it would bring man pages for itself and its folders).
"""
import re
import sys
from pathlib import Path

SECTION = re.compile(r"^/\* -{4} (.+?) -*\s*(\*/)?$")
INDENTED = re.compile(r"^( \* {3,}| {5,})\S")
TRAILING = re.compile(r"^(?P<code>\S.*?\S)(?P<gap>\s+)/\*(?P<text>.*)\*/\s*$")


def comment_end(lines: list[str], start: int) -> int:
    """The index of the line that closes the comment opened on line start."""
    end = start
    while "*/" not in lines[end][2 if end == start else 0:]:
        end += 1
    return end


def verbatim(out: list[str], start: int, end: int) -> None:
    """Marks the runs of indented lines of the comment on lines start..end to be shown as written."""
    k = start + 1
    while k <= end:
        if not INDENTED.match(out[k]):
            k += 1
            continue
        first = k
        while k + 1 <= end and INDENTED.match(out[k + 1]):
            k += 1
        for line in range(first, k + 1):  # Doxygen keeps a star inside @verbatim: make it a space
            if out[line].startswith(" * "):
                out[line] = "   " + out[line][3:]
        out[first - 1] = out[first - 1].rstrip() + " @verbatim"
        out[k] = out[k].replace("*/", "@endverbatim */", 1) if "*/" in out[k] else out[k] + " @endverbatim"
        k += 1


def main() -> None:
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    out = list(lines)
    closes: set[int] = set()  # lines that end a @name group of #defines
    seen_file_comment = False
    group_open = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("/*"):
            end = comment_end(lines, i)
            standalone = end + 1 < len(lines) and lines[end + 1].strip() == ""
            section = SECTION.match(line)
            if "SPDX-License-Identifier" in line:
                pass
            elif not seen_file_comment:
                seen_file_comment = True
                out[i] = "/** @file qwen3vl.h" + line[2:]
            elif section:
                title = section.group(1)
                name = "qwen3vl-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
                opener = ("/** @} */ " if group_open else "") + f"/** @defgroup {name} {title}"
                group_open = True
                if end > i:  # the description follows under the title
                    out[i] = opener
                    out[end] = lines[end].replace("*/", "*/ /** @{ */")
                elif i + 1 < len(lines) and lines[i + 1].startswith("/*") and lines[comment_end(lines, i + 1) + 1].strip() == "":
                    # a comment standing alone under the title describes the group
                    out[i] = opener
                    follower_end = comment_end(lines, i + 1)
                    out[i + 1] = " *" + lines[i + 1][2:]
                    out[follower_end] = lines[follower_end].replace("*/", "*/ /** @{ */")
                    end = follower_end
                else:
                    out[i] = opener + " */ /** @{ */"
            elif not standalone:
                defines = end + 1
                while defines < len(lines) and lines[defines].startswith("#define"):
                    defines += 1
                families = {re.sub(r"^#define\s+(\w+)_\w+?\b.*", r"\1", d) for d in lines[end + 1:defines]}
                if end == i and defines - (end + 1) >= 2 and len(families) == 1 and defines < len(lines):
                    out[i] = "/** @name " + line[2:].replace("*/", "").strip() + " */ /** @{ */"
                    closes.add(defines)  # the line after the last #define (one cannot end it)
                else:
                    out[i] = "/**" + line[2:]
            if out[i].startswith("/**"):
                verbatim(out, i, end)
                for k in range(i, end + 1):  # "#name" in prose is C, not a Doxygen link
                    if not INDENTED.match(out[k]):
                        out[k] = re.sub(r"(?<![\w\\])#(?=\w)", r"\\#", out[k])
            i = end + 1
            continue
        trailing = TRAILING.match(line)
        if trailing and (not line.startswith("#") or line.startswith("#define")):
            out[i] = f"{trailing['code']}{trailing['gap']}/**<{trailing['text']}*/"
        if i in closes:
            out[i] = "/** @} */ " + out[i]
        if group_open and line.startswith("#ifdef __cplusplus"):
            out[i] = "/** @} */ " + line
            group_open = False
        i += 1
    title, _, body = (Path(__file__).parent / "mainpage.md").read_text(encoding="utf-8").partition("\n")
    out.append(f"/** @mainpage {title.lstrip('# ')}\n{body} */")
    sys.stdout.write("\n".join(out))


main()
