#!/usr/bin/env python3
"""docs/CLI.md and the binary agree (issue 15: they had drifted apart).

  * help: every subcommand `trove --help` lists (and each nested one, e.g.
    `keys derive`) answers `--help` with exit 0 and a Usage line.
  * sections: every subcommand `trove --help` lists has a `## trove NAME`
    section in docs/CLI.md, and every section names a real subcommand.
  * documented_options_exist: every option in a section's usage lines
    (backticked spans starting `trove NAME`) is an option of
    `trove NAME --help`.
  * options_documented: every long option `trove NAME --help` prints appears
    in NAME's section (a section saying "see `trove NAME --help`" delegates).
  * ctl_commands: every control command docs/CLI.md lists for `trove ctl`
    (its "- `NAME ...`" items) is named in `trove ctl --help`.
  * rejects_unknown: an option no section documents (`init --force`, which
    the docs once listed) exits 2 naming it, so the checks above mean
    something.
"""

import re
import sys

import trove_it as it
from trove_it import check, check_eq

CLI_MD = it.REPO / "docs" / "CLI.md"
OPT = re.compile(r"(?<![\w-])(--[a-zA-Z][\w-]*|-[a-zA-Z])(?![\w-])")


def sections() -> dict[str, str]:
    """'init' / 'keys derive' -> the section's text."""
    out, name, buf = {}, None, []
    for line in CLI_MD.read_text().splitlines():
        m = re.match(r"## trove (.*)", line)
        if m:
            if name:
                out[name] = "\n".join(buf)
            words = []
            for w in m[1].split():
                if not re.fullmatch(r"[a-z]+", w):
                    break
                words.append(w)
            name, buf = " ".join(words), []
        elif name:
            buf.append(line)
    if name:
        out[name] = "\n".join(buf)
    return out


def help_text(*cmd) -> str:
    p = it.run([it.TROVE_BIN, *cmd, "--help"])
    check("Usage:" in p.stdout, f"trove {' '.join(cmd)} --help: no Usage line")
    return p.stdout


def subcommands(text: str) -> list[str]:
    block = text.split("Subcommands:", 1)
    if len(block) < 2:
        return []
    return [m[1] for m in re.finditer(r"^  ([a-z]+)\s", block[1], re.M)]


def help_options(text: str) -> set[str]:
    opts = set()
    for line in text.splitlines():
        m = re.match(r"\s+((?:-[\w-]+,?)+)", line)  # "  -o,--output TEXT", "  --json"
        if m:
            opts.update(o for o in m[1].split(",") if o)
    return opts


def usage_options(section: str, name: str) -> set[str]:
    opts = set()
    for span in re.findall(r"`([^`]*)`", section):
        if span.startswith(f"trove {name}"):
            opts.update(OPT.findall(span[len(f"trove {name}"):]))
    return opts


def all_commands() -> dict[str, str]:
    """Every subcommand path -> its --help text: those `trove --help` lists,
    their nested ones, and hidden ones docs/CLI.md documents (keys derive)."""
    out = {}
    for c in subcommands(help_text()):
        out[c] = help_text(c)
        for sub in subcommands(out[c]):
            out[f"{c} {sub}"] = help_text(c, sub)
    for name in sections():
        if name not in out:
            p = it.run([it.TROVE_BIN, *name.split(), "--help"], check_rc=None)
            if p.returncode == 0 and "Usage:" in p.stdout:
                out[name] = p.stdout
    return out


@it.case
def help():
    cmds = all_commands()
    check(len(cmds) >= 15, f"subcommands found: {sorted(cmds)}")
    check(all(t.startswith(t.splitlines()[0]) for t in cmds.values()), "help texts")
    check("keys derive" in cmds, "nested subcommands are checked too")


@it.case
def sections_match():
    cmds = all_commands()
    secs = sections()
    top = [c for c in cmds if " " not in c and not subcommands(cmds[c])]
    missing = [c for c in top if c not in secs]
    check(not missing, f"subcommands without a section in docs/CLI.md: {missing}")
    unknown = [s for s in secs if s not in cmds]
    check(not unknown, f"docs/CLI.md sections of no subcommand: {unknown}")


@it.case
def documented_options_exist():
    cmds = all_commands()
    bad = []
    for name, text in sections().items():
        have = help_options(cmds[name])
        for o in sorted(usage_options(text, name)):
            if o not in have:
                bad.append(f"trove {name} {o}")
    check(not bad, f"docs/CLI.md documents options the binary does not have: {bad}")


@it.case
def options_documented():
    cmds = all_commands()
    bad = []
    for name, text in sections().items():
        if f"trove {name} --help" in text:
            continue  # the section delegates the full list to --help
        documented = set(OPT.findall(text))
        for o in sorted(help_options(cmds[name])):
            if o.startswith("--") and o != "--help" and o not in documented:
                bad.append(f"trove {name} {o}")
    check(not bad, f"options the binary has but docs/CLI.md does not mention: {bad}")


@it.case
def ctl_commands():
    text = sections()["ctl"]
    names = sorted({m[1] for m in re.finditer(r"^- `([a-z]+)", text, re.M)})
    check(len(names) >= 7, f"ctl commands parsed from docs/CLI.md: {names}")
    h = help_text("ctl")
    flat = " ".join(h.split())
    missing = [n for n in names if not re.search(rf"\b{n}\b", flat)]
    check(not missing, f"trove ctl --help does not list: {missing}")


@it.case
def rejects_unknown():
    for cmd in (["init", "--force"], ["stats", "--no-such-option"]):
        p = it.run([it.TROVE_BIN, *cmd], check_rc=None)
        check_eq(p.returncode, 2, f"exit of trove {' '.join(cmd)}")
        check(cmd[1] in p.stderr, f"trove {' '.join(cmd)}: stderr names the option: {p.stderr}")


if __name__ == "__main__":
    sys.exit(it.main())
