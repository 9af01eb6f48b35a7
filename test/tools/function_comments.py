#!/usr/bin/env python3
"""
function_comments.py — the share of C function definitions with a comment
just above them (issue 16 item 5; pgvector's vector.c has one above about
89% of its functions).

    test/tools/function_comments.py [-v] [FILE.c ...]     (default: src/*.c)

A definition is written in PostgreSQL's style: the return type on a line of
its own, then the name at the start of the next line with its parameters,
and a body (not a prototype).  It counts as commented when the line above
the return type closes a comment ("*/"), as a one-line "/* ... */" or a
block does.  Prints one line per file (commented / definitions) and the
total; -v also lists each definition without a comment.
"""
import glob
import re
import sys

NAME = re.compile(r'^([A-Za-z_]\w*)\s*\(')


def definitions(path):
    """(name, line number, commented) for each function definition in path"""
    lines = open(path, encoding='utf-8').read().split('\n')
    out = []
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if not m or i == 0:
            continue
        kind = lines[i - 1]
        # the return type line: starts a declaration, is not a statement
        # (a line ending in a backslash is a macro's, which generates functions)
        if not kind or kind[0] in ' \t#/*}' or kind.rstrip().endswith((';', ',', ')', '{', '\\')):
            continue
        # a definition has its body's brace before the next semicolon
        j = i
        while j < len(lines) and '{' not in lines[j] and ';' not in lines[j]:
            j += 1
        if j >= len(lines) or ';' in lines[j].split('{')[0] or lines[j].strip().endswith(';'):
            continue
        # above an attribute macro on a line of its own (NN_KERNEL)
        k = i - 2
        while k >= 0 and re.match(r'^[A-Z][A-Z0-9_]*$', lines[k]):
            k -= 1
        above = lines[k].rstrip() if k >= 0 else ''
        out.append((m.group(1), i + 1, above.endswith('*/')))
    return out


def main(argv):
    verbose = '-v' in argv
    files = [a for a in argv if a != '-v'] or sorted(glob.glob('src/*.c'))
    total = commented = 0
    for path in files:
        defs = definitions(path)
        c = sum(1 for d in defs if d[2])
        total += len(defs)
        commented += c
        print(f'{path:32s} {c:4d} / {len(defs):4d}')
        if verbose:
            for name, line, ok in defs:
                if not ok:
                    print(f'    {path}:{line}: {name}')
    share = 100.0 * commented / total if total else 0.0
    print(f'{"total":32s} {commented:4d} / {total:4d} = {share:.0f}%')


if __name__ == '__main__':
    main(sys.argv[1:])
