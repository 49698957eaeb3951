# cs_a11y.py: what the AT-SPI tests of the desktop app share (test-a11y.py,
# test-i18n.py): a seeded crowdspark-server on 127.0.0.1:0, the crowdspark
# app with accessibility on, and reading and acting on its accessibility tree.
#
# Run inside `tests/desktop-session.sh --display --a11y` (a private D-Bus
# session with the accessibility bus and Xvfb).  The deadlines are generous
# (the app may run under ASan); nothing sleeps for timing: wait_for() polls
# the tree until its condition holds or fails.

import os
import select
import subprocess
import sys
import time
import warnings

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, GLib  # noqa: E402

# PyGObject calls libatspi's interface getters deprecated; they are the API.
warnings.filterwarnings('ignore', category=DeprecationWarning)

APP_ID = 'io.github.crowdspark.CrowdSpark'
APP_PATH = '/io/github/crowdspark/CrowdSpark'
BACKER = 'backer@crowdspark.test'
BACKER_PASSWORD = 'crowdspark-demo'
TRACE = bool(os.environ.get('CS_A11Y_TRACE'))
DEADLINE = float(os.environ.get('CS_A11Y_DEADLINE', '120'))


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


def start_app(app_bin, url, extra_env=None):
    """Starts the app against url; extra_env (a dict) is added to its
    environment (a locale, CROWDSPARK_LOCALEDIR)."""
    env = dict(os.environ)
    # Accessibility on: neither of these may reach the app.
    env.pop('GTK_A11Y', None)
    env.pop('NO_AT_BRIDGE', None)
    env['CS_APP_NO_KEYRING'] = '1'
    env.setdefault('GSETTINGS_BACKEND', 'memory')
    env.update(extra_env or {})
    return subprocess.Popen([app_bin, '--server', url], env=env)


def stop(*procs):
    """Terminates the processes started here (None is skipped), killing one
    that does not exit within 30 s."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


def campaign_cells(window, grid_name='Campaigns'):
    """The cards of Discover's grid (CsCardGrid: a list named grid_name,
    "Campaigns" in English, whose items are the campaign cards, each named
    by its summary) that show a campaign."""
    grid = find(window, lambda n: role(n) == 'list' and name(n) == grid_name)
    if grid is None:
        return []
    return [c for c in children(grid) if role(c) == 'list item' and name(c)]