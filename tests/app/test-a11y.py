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

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, Gio, GLib  # noqa: E402

# PyGObject calls libatspi's interface getters deprecated; they are the API.
warnings.filterwarnings('ignore', category=DeprecationWarning)

APP_ID = 'io.github.crowdspark.CrowdSpark'
APP_PATH = '/io/github/crowdspark/CrowdSpark'
BACKER = 'backer@crowdspark.test'
BACKER_PASSWORD = 'crowdspark-demo'
TRACE = bool(os.environ.get('CS_A11Y_TRACE'))
DEADLINE = float(os.environ.get('CS_A11Y_DEADLINE', '120'))

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


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def wait_for(what, predicate, deadline=DEADLINE):
    """Polls predicate() (which reads the live tree) until it returns a true
    value; fails after deadline seconds."""
    end = time.monotonic() + deadline
    ctx = GLib.MainContext.default()
    while True:
        try:
            result = predicate()
        except GLib.Error:
            result = None  # a node went away while we read it: try again
        if result:
            return result
        if time.monotonic() > end:
            raise Failure(f'timed out after {deadline:.0f} s waiting for {what}')
        # Let AT-SPI events in, and give the app a moment without spinning.
        while ctx.pending():
            ctx.iteration(False)
        select.select([], [], [], 0.05)


# -- reading the tree ---------------------------------------------------------

def children(node):
    try:
        n = node.get_child_count()
    except GLib.Error:
        return []
    out = []
    for i in range(n):
        try:
            child = node.get_child_at_index(i)
        except GLib.Error:
            continue
        if child is not None:
            out.append(child)
    return out


def role(node):
    return node.get_role_name()


def name(node):
    return node.get_name() or ''


def has_state(node, state):
    return node.get_state_set().contains(state)


def label_of(node):
    n = name(node)
    return f'{role(node)}[{n[:40]}]' if n else role(node)


def walk(node, path=()):
    """Yields (node, path) depth first; path is the labels from the root."""
    here = path + (label_of(node),)
    if TRACE:
        print('trace: ' + ' / '.join(here), file=sys.stderr, flush=True)
    yield node, here
    for child in children(node):
        yield from walk(child, here)


def find(root, pred):
    for node, _ in walk(root):
        try:
            if pred(node):
                return node
        except GLib.Error:
            continue
    return None


def find_all(root, pred):
    out = []
    for node, _ in walk(root):
        try:
            if pred(node):
                out.append(node)
        except GLib.Error:
            continue
    return out


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


def check_screen(screen, root, min_interactive):
    """Asserts that every interactive node under root has a real name."""
    root.clear_cache()
    count = 0
    offenders = []
    for node, path in walk(root):
        try:
            if not is_interactive(node):
                continue
            count += 1
            problem = name_problem(node)
            if problem is None and MNEMONIC.search(name(node)):
                mnemonic_names.add(f'{role(node)} "{name(node)}"')
        except GLib.Error:
            continue
        if problem is None:
            continue
        known = next((why for parent, r, why in THIRD_PARTY
                      if r == role(node) and any(p.endswith(f'[{parent}]') for p in path)), None)
        where = ' / '.join(path)
        if known:
            log(f'  known third-party issue ({known}): {where}')
            continue
        offenders.append(f'{where}: {problem}')
    log(f'{screen}: {count} interactive nodes, {len(offenders)} without a proper name')
    for o in offenders:
        log(f'  UNLABELLED {o}')
    failures.extend(f'{screen}: {o}' for o in offenders)
    if count < min_interactive:
        failures.append(f'{screen}: only {count} interactive nodes (expected at least '
                        f'{min_interactive}): the tree is not exported')
    return count


# -- acting through AT-SPI ----------------------------------------------------

def do_action(node, action_name):
    action = node.get_action_iface()
    if action is None:
        raise Failure(f'{label_of(node)} has no Action interface')
    names = [action.get_action_name(i) for i in range(action.get_n_actions())]
    if action_name not in names:
        raise Failure(f'{label_of(node)} has no action "{action_name}" (it has {names})')
    if not action.do_action(names.index(action_name)):
        raise Failure(f'{label_of(node)}: action "{action_name}" failed')


def click_on(node):
    """Clicks the middle of node with the pointer (XTest, via the registry):
    GTK 4.8 implements neither Component.GrabFocus nor actions on list cells.
    Without a window manager the window sits at the screen's origin, so its
    window coordinates are the screen's."""
    comp = node.get_component_iface()
    if comp is None:
        raise Failure(f'{label_of(node)} has no Component interface')
    box = comp.get_extents(Atspi.CoordType.WINDOW)
    if box.width <= 0 or box.height <= 0:
        raise Failure(f'{label_of(node)} has no size on screen')
    Atspi.generate_mouse_event(box.x + box.width // 2, box.y + box.height // 2, 'b1c')


def is_field(node):
    return (role(node) in ('text', 'entry', 'password text')
            and has_state(node, Atspi.StateType.EDITABLE))


def set_text(node, text):
    """Types text into an editable node: through its EditableText interface,
    else by focusing it and typing (XTest, via the registry)."""
    editable = node.get_editable_text_iface()
    if editable is not None and editable.set_text_contents(text):
        return
    comp = node.get_component_iface()
    if comp is None or not comp.grab_focus():
        raise Failure(f'cannot focus {label_of(node)} to type into it')
    wait_for(f'{label_of(node)} to take the focus', lambda: has_state(node, Atspi.StateType.FOCUSED), 30)
    Atspi.generate_keyboard_event(0, text, Atspi.KeySynthType.STRING)


# -- processes ----------------------------------------------------------------

def start_server(server_bin, tmp):
    db = f'sqlite://{tmp}/server.db'
    media = os.path.join(tmp, 'media')
    os.makedirs(media)
    for cmd in (['migrate', '--database', db], ['seed-demo', '--database', db]):
        subprocess.run([server_bin] + cmd, check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([server_bin, 'serve', '--database', db, '--listen', '127.0.0.1:0',
                             '--sandbox', '--media-dir', media],
                            stdout=subprocess.PIPE, text=True)
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith('listening on '):
            return proc, line.split()[2]
    proc.kill()
    raise Failure('the server did not say where it listens')


def start_app(app_bin, url):
    env = dict(os.environ)
    # Accessibility on: neither of these may reach the app.
    env.pop('GTK_A11Y', None)
    env.pop('NO_AT_BRIDGE', None)
    env['CS_APP_NO_KEYRING'] = '1'
    env.setdefault('GSETTINGS_BACKEND', 'memory')
    return subprocess.Popen([app_bin, '--server', url], env=env)


def app_accessible(pid):
    desktop = Atspi.get_desktop(0)
    desktop.clear_cache()
    for app in children(desktop):
        try:
            if app.get_process_id() == pid:
                return app
        except GLib.Error:
            continue
    return None


# New windows are learnt from events, as a screen reader does: asking the
# application for its children while a window comes or goes races in GTK 4.8
# (a stale child index makes it answer with a hidden, unregistered window
# and crash on the null object path).
seen_windows = []


def window_event_cb(event):
    for node in (event.source, event.any_data):
        if isinstance(node, Atspi.Accessible) and all(node != w for w in seen_windows):
            seen_windows.append(node)


window_listener = Atspi.EventListener.new(window_event_cb)


def listen_for_windows():
    for event in ('object:state-changed:active', 'object:children-changed:add',
                  'window:create', 'window:activate'):
        window_listener.register(event)


def new_toplevel(known, pred):
    for node in list(seen_windows):
        try:
            if all(node != k for k in known) and role(node) in ('frame', 'dialog', 'window', 'filler') \
                    and node.get_parent() is not None and role(node.get_parent()) == 'application' \
                    and pred(node):
                return node
        except GLib.Error:
            continue
    return None


def gone(node):
    try:
        node.clear_cache()
        states = node.get_state_set()
        return states.contains(Atspi.StateType.DEFUNCT) or not states.contains(Atspi.StateType.VISIBLE)
    except GLib.Error:
        return True


def main_window(app):
    app.clear_cache()
    for top in children(app):
        if role(top) == 'frame' and find(top, lambda n: role(n) == 'page tab list'):
            return top
    return None


def campaign_cells(window):
    grid = find(window, lambda n: role(n) == 'table' and name(n) == 'Campaigns')
    if grid is None:
        return []
    # a cell is a card once it is bound to a campaign (its card has a name)
    return [c for c in children(grid)
            if role(c) == 'table cell' and any(name(k) for k in children(c))]


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
        for proc in (app, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
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
