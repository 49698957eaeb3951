#!/usr/bin/python3
# test-i18n.py SERVER_BIN APP_BIN LOCALEDIR LINGUAS: the desktop app speaks German
# and French, read from the real accessibility tree (AT-SPI).
#
# Run inside `tests/desktop-session.sh --display --a11y`.  Starts a seeded
# crowdspark-server on 127.0.0.1:0, then the crowdspark app twice, once with
# LANGUAGE=de LANG=LC_ALL=de_DE.UTF-8 and once with fr / fr_FR.UTF-8, with
# CROWDSPARK_LOCALEDIR=LOCALEDIR (the build tree's po/, which holds
# <lang>/LC_MESSAGES/crowdspark.mo for each language in po/LINGUAS).  For each
# language, through AT-SPI only:
#   - the language is in po/LINGUAS (LINGUAS) and its .mo file was built;
#   - Discover: the view switcher's tabs are „Entdecken“/„Meine
#     Unterstützungen“ (« Découvrir »/« Mes contributions »), not English;
#     every campaign card says how much is funded in the language ("45 %
#     finanziert", "45 % financé");
#   - the sign-in dialog (win.sign-in) and a campaign page (a card clicked):
#     the page writes the amount raised the locale's way ("1.234,50 $",
#     "1 234,50 $": "," before the cents) and the goal sentence in the
#     language;
#   - on each of these screens no node is named with an English message of
#     the catalogue (an exact English msgid, or an English sentence with its
#     numbers and names filled in), whose translation differs.
# The translations expected are read back from the built .mo (msgunfmt), and
# the essential ones are also spelt out below, so a catalogue that is not
# loaded, or a label left in English, fails.
#
# The deadlines are generous (the app may run under ASan); nothing sleeps for
# timing: each step polls the tree until its condition holds or fails.

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from cs_a11y import (  # noqa: E402
    Failure, app_accessible, campaign_cells, children, click_on, do_action, find, gone, is_field,
    listen_for_windows, log, main_window, name, new_toplevel, role, start_app, start_server, stop,
    wait_for, walk,
)
from gi.repository import Atspi, GLib  # noqa: E402

NB = '\u00a0'    # no-break space
NNB = '\u202f'   # narrow no-break space (French thousands)

# What each language must show, spelt out (not taken from the catalogue).
LANGUAGES = {
    'de': {
        'locale': 'de_DE.UTF-8',
        'tabs': ['Entdecken', 'Meine Unterstützungen'],
        'funded': rf'\d+{NB}% finanziert',
        # "1.234,50 $": "." groups the thousands, "," before the cents
        'money': rf'\d{{1,3}}(?:\.\d{{3}})*,\d{{2}}{NB}\S+',
    },
    'fr': {
        'locale': 'fr_FR.UTF-8',
        'tabs': ['Découvrir', 'Mes contributions'],
        'funded': rf'\d+{NB}% financé',
        # "1 234,50 $": a narrow no-break space groups the thousands
        'money': rf'\d{{1,3}}(?:{NNB}\d{{3}})*,\d{{2}}{NB}\S+',
    },
}
ENGLISH_TABS = ['Discover', 'My Pledges']
ENGLISH_FUNDED = r'\d+ ?% funded'

# The campaign card writes money in the locale (cs_format_money): checked.
CHECK_CARD_MONEY = True

failures = []


# -- the catalogue, read back from the built .mo ------------------------------

def unquote(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s[1:-1])


def read_mo(mo):
    """[(msgctxt, msgid, msgid_plural, [msgstr...])] of a compiled catalogue."""
    text = subprocess.run(['msgunfmt', '--no-wrap', mo], check=True, capture_output=True,
                          text=True, env=dict(os.environ, LC_ALL='C.UTF-8')).stdout
    entries = []
    for block in text.split('\n\n'):
        fields, key = {}, None
        for line in block.split('\n'):
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if m:
                key = m.group(1)
                fields[key] = unquote(m.group(2))
            elif line.startswith('"') and key is not None:
                fields[key] += unquote(line)
        if fields.get('msgid'):
            strs = [v for k, v in sorted(fields.items()) if k.startswith('msgstr')]
            entries.append((fields.get('msgctxt'), fields['msgid'], fields.get('msgid_plural'), strs))
    return entries


class Catalogue:
    def __init__(self, mo):
        self.entries = read_mo(mo)
        self.table = {(ctx, mid): strs for ctx, mid, _, strs in self.entries}
        self.english_names = set()      # English labels that must not be shown
        self.english_sentences = []     # (regex, msgid): English sentences with blanks
        for ctx, mid, plural, strs in self.entries:
            for english in [mid] + ([plural] if plural else []):
                if all(s == english for s in strs):
                    continue   # the same in this language ("CrowdSpark", "URL")
                if '%' not in english:
                    self.english_names.add(english.replace('_', ''))
                    continue
                literal = re.sub(r'%(?:%|l*[a-zA-Z])', ' ', english)
                if len(re.findall(r'[A-Za-z]', literal)) < 6:
                    continue   # "%s: %s", "by %s", "%e %B %Y": too little to recognise
                self.english_sentences.append((self.sentence_regex(english), english))

    def __call__(self, msgid, ctx=None):
        strs = self.table.get((ctx, msgid))
        if not strs:
            raise Failure(f'the catalogue has no translation of "{msgid}"')
        return strs[0]

    @staticmethod
    def sentence_regex(fmt, **groups):
        """A regex for the printf format fmt: %s is any text (or groups['s'],
        then groups['s2'] ...), %lld/%d/%u a number, %% a "%"."""
        out, n = [], 0
        for piece in re.split(r'(%%|%l*[a-zA-Z])', fmt):
            if piece == '%%':
                out.append('%')
            elif re.fullmatch(r'%l*[diu]', piece):
                out.append(r'\d+')
            elif re.fullmatch(r'%l*[a-zA-Z]', piece):
                n += 1
                out.append('(?:' + groups.get('s' if n == 1 else f's{n}', '.+?') + ')')
            else:
                out.append(re.escape(piece))
        return re.compile(''.join(out), re.S)


def english_on_screen(screen, root, cat):
    """Fails for every node under root named with an English message."""
    root.clear_cache()
    found = 0
    for node, path in walk(root):
        try:
            n = name(node).strip()
        except GLib.Error:
            continue
        if not n:
            continue
        found += 1
        # GTK 4.8 names a button with use-underline "_Cancel Cancel"
        plain = n.replace('_', '')
        candidates = {n, plain}
        words = plain.split(' ')
        if len(words) % 2 == 0 and words[: len(words) // 2] == words[len(words) // 2:]:
            candidates.add(' '.join(words[: len(words) // 2]))
        hit = next((c for c in candidates if c in cat.english_names), None)
        if hit is None:
            hit = next((english for regex, english in cat.english_sentences if regex.fullmatch(n)), None)
        if hit is not None:
            failures.append(f'{screen}: English text "{hit}" shown: {" / ".join(path)}')
    if found < 10:
        failures.append(f'{screen}: only {found} named nodes: the tree is not exported')
    log(f'{screen}: {found} named nodes checked for English')


# -- one language -------------------------------------------------------------

def read_linguas(path):
    with open(path, encoding='utf-8') as f:
        return [w for line in f for w in line.split('#')[0].split()]


def run_language(lang, want, server_bin, app_bin, url, localedir, linguas):
    # a stale .mo may outlive its language in the build tree: ask LINGUAS
    if lang not in linguas:
        raise Failure(f'{lang} is not in po/LINGUAS ({linguas}): it is neither built nor installed')
    mo = os.path.join(localedir, lang, 'LC_MESSAGES', 'crowdspark.mo')
    if not os.path.isfile(mo):
        raise Failure(f'{lang}: no {mo}: is "{lang}" in po/LINGUAS (and was the build reconfigured)?')
    tr = Catalogue(mo)
    log(f'{lang}: {len(tr.entries)} messages in {mo}')
    money = want['money']
    funded = want['funded']

    app = start_app(app_bin, url, {
        'LANGUAGE': lang, 'LANG': want['locale'], 'LC_ALL': want['locale'],
        'CROWDSPARK_LOCALEDIR': localedir,
    })
    try:
        def alive():
            if app.poll() is not None:
                raise Failure(f'{lang}: the app exited with status {app.returncode}')
            return True

        acc = wait_for('the app on the accessibility bus', lambda: alive() and app_accessible(app.pid))
        window = wait_for('the main window', lambda: alive() and main_window(acc))

        # The view switcher.
        tabs = wait_for('the view switcher\'s tabs', lambda: alive() and [
            name(t) for t in [n for n, _ in walk(window) if role(n) == 'page tab'] if name(t)])
        log(f'{lang}: tabs {tabs}')
        for expected in want['tabs']:
            if expected not in tabs:
                failures.append(f'{lang}: no tab "{expected}" in the view switcher (tabs: {tabs})')
        for english in ENGLISH_TABS:
            if english in tabs:
                failures.append(f'{lang}: the view switcher still says "{english}"')

        # Discover's cards ("Kampagnen": the grid's name is translated too).
        grid_name = tr('Campaigns')
        cells = wait_for(f'campaign cards in the grid "{grid_name}"', lambda: alive() and (
            lambda found: found if len(found) >= 3 else None)(campaign_cells(window, grid_name)))
        cards = [name(c) for c in cells]
        log(f'{lang}: {len(cards)} cards, the first: "{cards[0]}"')
        for card in cards:
            if not re.search(funded, card):
                failures.append(f'{lang}: a card does not say how much is funded in the language: "{card}"')
            if re.search(ENGLISH_FUNDED, card):
                failures.append(f'{lang}: a card says "% funded" in English: "{card}"')
            if CHECK_CARD_MONEY and not re.search(money, card):
                failures.append(f'{lang}: a card does not write money the locale\'s way: "{card}"')
        english_on_screen(f'{lang} Discover', window, tr)

        # The sign-in dialog, through the window's win.sign-in action.
        password = tr('Password')
        do_action(window, 'win.sign-in')
        dialog = wait_for(f'the sign-in dialog (a field "{password}")', lambda: alive() and new_toplevel(
            [window], lambda t: find(t, lambda n: name(n) == password and is_field(n))))
        login = tr('Email or Username')
        if find(dialog, lambda n: name(n) == login and is_field(n)) is None:
            failures.append(f'{lang}: the sign-in dialog has no field "{login}"')
        english_on_screen(f'{lang} sign-in dialog', dialog, tr)
        cancel = tr('_Cancel').replace('_', '')
        button = find(dialog, lambda n: role(n) == 'push button' and cancel in name(n))
        if button is None:
            raise Failure(f'{lang}: the sign-in dialog has no button "{cancel}"')
        do_action(button, 'click')
        wait_for('the sign-in dialog to close', lambda: alive() and gone(dialog))

        # A campaign page: click the first card.
        click_on(cells[0])
        back = tr('Back')
        wait_for(f'the campaign page (a button "{back}")', lambda: alive() and find(
            window, lambda n: role(n) == 'push button' and name(n) == back))
        raised = wait_for(f'the amount raised, written like "{money}"', lambda: alive() and find(
            window, lambda n: role(n) == 'label' and re.fullmatch(money, name(n))))
        log(f'{lang}: raised "{name(raised)}"')
        goal_re = Catalogue.sentence_regex(tr('raised of a %s goal · %s'), s=money, s2=funded)
        goal = wait_for(f'the goal sentence, like "{goal_re.pattern}"', lambda: alive() and find(
            window, lambda n: role(n) == 'label' and goal_re.fullmatch(name(n))))
        log(f'{lang}: goal "{name(goal)}"')
        english_on_screen(f'{lang} campaign page', window, tr)
    finally:
        stop(app)


def run(server_bin, app_bin, localedir, linguas):
    tmp = tempfile.mkdtemp(prefix='cs-i18n-')
    server = None
    try:
        server, url = start_server(server_bin, tmp)
        log(f'server: {url}')
        listen_for_windows()
        for lang, want in LANGUAGES.items():
            try:
                run_language(lang, want, server_bin, app_bin, url, localedir, linguas)
            except (Failure, GLib.Error) as e:
                failures.append(f'{lang}: {e}')
    except (Failure, GLib.Error) as e:
        failures.append(str(e))
    finally:
        stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 5:
        print(f'usage: {sys.argv[0]} SERVER_BIN APP_BIN LOCALEDIR LINGUAS', file=sys.stderr)
        return 2
    if not Atspi.init() in (0, 1):
        print('cannot initialise AT-SPI', file=sys.stderr)
        return 1
    run(sys.argv[1], sys.argv[2], sys.argv[3], read_linguas(sys.argv[4]))
    if failures:
        log(f'FAIL: {len(failures)} problem(s):')
        for f in failures:
            log(f'  {f}')
        return 1
    log(f'PASS: the app speaks {", ".join(LANGUAGES)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
