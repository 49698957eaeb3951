#!/usr/bin/python3
# test-a11y.py SERVER_BIN APP_BIN: every control of the desktop app has an
# accessible name, read from the real accessibility tree (AT-SPI).
#
# Run inside `tests/desktop-session.sh --display --a11y` (a private D-Bus
# session with the accessibility bus and Xvfb).  Starts a seeded
# crowdspark-server on 127.0.0.1:0 and the crowdspark app with accessibility
# on, then, through AT-SPI only (and the app's org.gtk.Actions on D-Bus for
# app.preferences), reaches each screen and walks its accessible tree:
#   Discover, the sign-in dialog, My Pledges (signed in), a campaign page,
#   the pledge dialog, the Preferences window.
# Every interactive node (buttons, toggles, check boxes, entries, combo boxes,
# spin buttons, switches, links, page tabs, focusable list/table cells) must
# have a real name: not empty and not GTK 4.8's fallback to the widget's type
# name ("GtkToggleButton").  Each offender is printed with its path; any
# offender, or a screen with too few interactive nodes (nothing exported),
# fails the test.  Names with a raw mnemonic underscore ("_Cancel Cancel",
# what GTK 4.8 makes of every button with use-underline) are printed as
# warnings.
#
# The deadlines are generous (the app may run under ASan); nothing sleeps for
# timing: each step polls the tree until its condition holds or fails.

import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from cs_a11y import (  # noqa: E402
    APP_ID, APP_PATH, BACKER, BACKER_PASSWORD, Failure, app_accessible, campaign_cells, children, click_on,
    do_action, find, gone, has_state, is_field, listen_for_windows, log, main_window, name,
    new_toplevel, role, set_text, start_app, start_server, stop, wait_for, walk,
)
from gi.repository import Atspi, Gio, GLib  # noqa: E402


INTERACTIVE = {
    'push button', 'toggle button', 'check box', 'radio button', 'entry',
    'password text', 'combo box', 'spin button', 'switch', 'link',
    'menu item', 'check menu item', 'radio menu item', 'page tab', 'slider',
}
# Roles that are interactive only when they take the focus.
INTERACTIVE_IF_FOCUSABLE = {'text', 'table cell', 'list item'}
# GTK 4.8 names a node without a label after its widget's type.
TYPE_NAME = re.compile(r'^(Gtk|Adw|Cs)[A-Z][A-Za-z]*$')
# A mnemonic that leaked into the name: "_Cancel", "C_reate".
MNEMONIC = re.compile(r'(?:^|\w)_[^\W_]')

# Known defects of third-party widgets that the app cannot reach: printed,
# not counted.  libadwaita 1.2's toast has an unlabelled close button.
THIRD_PARTY = [
    ('AdwToastWidget', 'push button', 'libadwaita 1.2 toast close button'),
]

failures = []
mnemonic_names = set()


def is_interactive(node):
    r = role(node)
    if r in INTERACTIVE:
        return True
    return r in INTERACTIVE_IF_FOCUSABLE and has_state(node, Atspi.StateType.FOCUSABLE)


def name_problem(node):
    n = name(node).strip()
    if not n:
        return 'no accessible name'
    if TYPE_NAME.match(n):
        return f'no accessible name (GTK falls back to the type name "{n}")'
    return None


def walk_screen(root):
    """(interactive nodes, offenders) under root; raises GLib.Error when a
    node vanishes during the walk."""
    root.clear_cache()
    count = 0
    offenders = []
    for node, path in walk(root):
        if not is_interactive(node):
            continue
        count += 1
        problem = name_problem(node)
        if problem is None and MNEMONIC.search(name(node)):
            mnemonic_names.add(f'{role(node)} "{name(node)}"')
        if problem is None:
            continue
        known = next((why for parent, r, why in THIRD_PARTY
                      if r == role(node) and any(p.endswith(f'[{parent}]') for p in path)), None)
        where = ' / '.join(path)
        if known:
            log(f'  known third-party issue ({known}): {where}')
            continue
        offenders.append(f'{where}: {problem}')
    return count, offenders


def check_screen(screen, root, min_interactive):
    """Asserts that every interactive node under root has a real name.  A
    node that vanishes during the walk (a list the app just reloaded) makes
    the walk start again on the settled tree, up to five times."""
    for attempt in range(5):
        try:
            count, offenders = walk_screen(root)
            break
        except GLib.Error as e:
            log(f'{screen}: the tree changed during the walk ({e.message}); walking it again')
    else:
        raise Failure(f'{screen}: the tree kept changing during five walks')
    log(f'{screen}: {count} interactive nodes, {len(offenders)} without a proper name')
    for o in offenders:
        log(f'  UNLABELLED {o}')
    failures.extend(f'{screen}: {o}' for o in offenders)
    if count < min_interactive:
        failures.append(f'{screen}: only {count} interactive nodes (expected at least '
                        f'{min_interactive}): the tree is not exported')
    return count


# -- acting through AT-SPI ----------------------------------------------------


# -- the screens --------------------------------------------------------------

def run(server_bin, app_bin):
    tmp = tempfile.mkdtemp(prefix='cs-a11y-')
    server = app = None
    try:
        server, url = start_server(server_bin, tmp)
        log(f'server: {url}')
        listen_for_windows()
        app = start_app(app_bin, url)

        def alive():
            if app.poll() is not None:
                raise Failure(f'the app exited with status {app.returncode}')
            return True

        acc = wait_for('the app on the accessibility bus', lambda: alive() and app_accessible(app.pid))
        window = wait_for('the main window', lambda: alive() and main_window(acc))
        wait_for('campaign cards on Discover', lambda: alive() and len(campaign_cells(window)) >= 3)
        check_screen('Discover', window, 10)

        # The sign-in dialog, through the window's win.sign-in action.
        do_action(window, 'win.sign-in')
        dialog = wait_for('the sign-in dialog', lambda: alive() and new_toplevel(
            [window], lambda t: find(t, lambda n: name(n) == 'Password' and is_field(n))))
        check_screen('Sign-in dialog', dialog, 4)
        login = find(dialog, lambda n: name(n) == 'Email or Username' and is_field(n))
        password = find(dialog, lambda n: name(n) == 'Password' and is_field(n))
        if login is None or password is None:
            raise Failure('the sign-in dialog has no login or password field')
        set_text(login, BACKER)
        set_text(password, BACKER_PASSWORD)
        submit = find(dialog, lambda n: role(n) == 'push button' and 'Sign In' in name(n)
                      and has_state(n, Atspi.StateType.SENSITIVE))
        if submit is None:
            raise Failure('the sign-in dialog has no enabled Sign In button')
        do_action(submit, 'click')
        wait_for('the sign-in dialog to close after signing in', lambda: alive() and gone(dialog))

        # My Pledges, signed in as the demo backer (who has pledges).
        tab = find(window, lambda n: role(n) == 'page tab' and name(n) == 'My Pledges')
        do_action(tab, 'click')
        pledges = wait_for('the list of pledges', lambda: alive() and find(
            window, lambda n: role(n) == 'list' and name(n) == 'My pledges' and children(n)))
        log(f'My Pledges: {len(children(pledges))} pledge rows')
        check_screen('My Pledges', window, 10)

        # A campaign page: click a card.
        tab = find(window, lambda n: role(n) == 'page tab' and name(n) == 'Discover')
        do_action(tab, 'click')
        cell = wait_for('a campaign card', lambda: alive() and campaign_cells(window))[0]
        click_on(cell)
        wait_for('the campaign page', lambda: alive() and find(
            window, lambda n: role(n) == 'push button' and name(n) == 'Back'))
        wait_for('the campaign page\'s rewards', lambda: alive() and find(
            window, lambda n: role(n) == 'push button' and 'reward' in name(n).lower()
            and has_state(n, Atspi.StateType.SENSITIVE)))
        check_screen('Campaign page', window, 10)

        # The pledge dialog: choose a reward.
        reward = find(window, lambda n: role(n) == 'push button' and 'reward' in name(n).lower()
                      and has_state(n, Atspi.StateType.SENSITIVE))
        do_action(reward, 'click')
        pledge = wait_for('the pledge dialog', lambda: alive() and new_toplevel(
            [window, dialog], lambda t: not gone(t)))
        check_screen('Pledge dialog', pledge, 3)
        cancel = find(pledge, lambda n: role(n) == 'push button' and 'Cancel' in name(n))
        if cancel is not None:
            do_action(cancel, 'click')
            wait_for('the pledge dialog to close', lambda: alive() and gone(pledge))

        # Preferences: app.preferences through the app's org.gtk.Actions.
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.call_sync(APP_ID, APP_PATH, 'org.gtk.Actions', 'Activate',
                      GLib.Variant('(sava{sv})', ('preferences', [], {})),
                      None, Gio.DBusCallFlags.NONE, 30000, None)
        prefs = wait_for('the Preferences window', lambda: alive() and new_toplevel(
            [window, dialog, pledge], lambda t: not gone(t) and 'Preferences' in name(t)))
        check_screen('Preferences', prefs, 3)
    except (Failure, GLib.Error) as e:
        failures.append(str(e))
    finally:
        stop(app, server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 3:
        print(f'usage: {sys.argv[0]} SERVER_BIN APP_BIN', file=sys.stderr)
        return 2
    if not Atspi.init() in (0, 1):
        print('cannot initialise AT-SPI', file=sys.stderr)
        return 1
    run(sys.argv[1], sys.argv[2])
    if failures:
        log(f'FAIL: {len(failures)} problem(s):')
        for f in failures:
            log(f'  {f}')
        return 1
    log('PASS: every interactive node has an accessible name')
    if mnemonic_names:
        log(f'warning: {len(mnemonic_names)} names keep a raw mnemonic underscore (GTK 4.8, use-underline):')
        for w in sorted(mnemonic_names):
            log(f'  {w}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
