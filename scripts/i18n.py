"""Keep the Chinese (zh_CN, stored as "zh") catalogue in step with the code.

python scripts/i18n.py update          extract, merge into zh, compile
python scripts/i18n.py missing         list msgids without a Chinese translation
python scripts/i18n.py fill FILE.json  add translations {msgid: msgstr | [singular, plural]}
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "service_center" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def extract(target: Path) -> None:
    subprocess.run(
        [
            *PYBABEL,
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            # pybabel skips "_*" folders by default, and with them templates/_macros
            "--ignore-dirs",
            ".* __pycache__",
            "--project",
            "service_center",
            "-o",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )


def update() -> None:
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    extract(POT)
    if PO.exists():
        subprocess.run(
            [
                *PYBABEL,
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                "zh",
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            ],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(
            [*PYBABEL, "init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh"],
            check=True,
            capture_output=True,
        )
    compile_catalogue()


def compile_catalogue() -> None:
    subprocess.run(
        [*PYBABEL, "compile", "-d", str(TRANSLATIONS), "-f"], check=True, capture_output=True
    )


def missing() -> list[str]:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def fill(path: Path) -> None:
    table = json.loads(path.read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in table:
            value = table[key]
            if isinstance(message.id, tuple):
                message.string = tuple(value) if isinstance(value, list) else (value,)
            else:
                message.string = value
            message.flags.discard("fuzzy")
    spare = PO.with_suffix(".po.tmp")  # write aside, then replace: never a truncated catalogue
    with spare.open("wb") as handle:
        write_po(handle, catalog, width=100)
    spare.replace(PO)
    compile_catalogue()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
        print(f"{len(missing())} messages lack a Chinese translation")
    elif command == "missing":
        for msgid in missing():
            print(json.dumps(msgid, ensure_ascii=False))
    elif command == "fill":
        fill(Path(sys.argv[2]))
        print(f"{len(missing())} messages lack a Chinese translation")
    else:
        sys.exit(__doc__)
