"""bin/demo serves links and mail where it runs (no Odoo needed to check)."""

import pathlib
import re

DEMO = (pathlib.Path(__file__).resolve().parent.parent / "bin" / "demo").read_text()


def _function(name):
    match = re.search(rf"^{name}\(\) {{\n(.*?)^}}", DEMO, re.M | re.S)
    assert match, name
    return match.group(1)


def test_the_install_takes_the_demos_port_as_its_base_url():
    # A new database sets web.base.url from --http-port, before the demo data
    # (which already mails reminders) is installed.
    install = _function("create_demo_db")
    command = install[install.index('-i "$ADDON') :]
    assert '--http-port="$PORT"' in command.split("\n\n")[0]


def test_each_start_sets_the_base_url_before_serving():
    setter = _function("set_base_url")
    assert 'set_param("web.base.url", url)' in setter
    assert 'BASE_URL="http://localhost:$PORT"' in DEMO
    main = _function("main")
    assert main.index("set_base_url") < main.index("--http-port=")


def test_the_mail_sink_writes_one_folder_per_demo_database():
    main = _function("main")
    assert 'mail_dir="$DATA_DIR/debt_relations_demo_mail/$DB"' in main
    assert main.index("mail_dir=") < main.index("mail_sink.py")
