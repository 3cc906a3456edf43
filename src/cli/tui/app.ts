/**
 * The TUI's screen (ink + React, without JSX): RustBill's eight tabs (operations manual §5.2) and
 * their keys. Tab / Shift+Tab and 1–8 switch tabs, ↑↓ / j k move, Enter opens the details of the
 * selected record and Backspace closes them, r reloads, d / e / x ask a y/n question before they
 * change anything, q / Esc leave (Esc first cancels an open question), Ctrl+C leaves at once.
 *
 * Data comes from {@link TuiData}; a failed read or action is shown on the status line, never
 * thrown. The component tells its caller how the user left through `onExit(code)` (0 for q/Esc,
 * 130 for Ctrl+C) and then calls ink's `exit()`.
 */
import { createElement as h, useCallback, useEffect, useRef, useState, type ReactElement } from 'react';
import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { TAB_KEYS, TuiData, type ActionKind, type Details, type TabKey, type TabList } from './data.ts';
import { clampIndex, columnWidths, fit, tableLine, windowStart } from './layout.ts';

/** Tab titles as the spec names them. */
export const TAB_TITLES: Record<TabKey, string> = {
  dashboard: 'Dashboard',
  admin_users: 'Admin Users',
  customer_users: 'Cust Users',
  customers: 'Customers',
  products: 'Products',
  plugins: 'Plugins',
  instances: 'Instances',
  db_status: 'DB Status',
};

/** Tab titles for terminals too narrow for {@link TAB_TITLES}. */
const SHORT_TAB_TITLES: Record<TabKey, string> = {
  dashboard: 'Dash',
  admin_users: 'Admins',
  customer_users: 'Users',
  customers: 'Cust',
  products: 'Prod',
  plugins: 'Plug',
  instances: 'Inst',
  db_status: 'DB',
};

/** What a record is called in confirmation questions. */
const RECORD_NAMES: Record<TabKey, string> = {
  dashboard: 'item',
  admin_users: 'admin user',
  customer_users: 'customer user',
  customers: 'customer',
  products: 'product',
  plugins: 'plugin interface',
  instances: 'instance',
  db_status: 'item',
};

/** Props of {@link TuiApp}. */
export interface TuiAppProps {
  data: TuiData;
  /** The database as shown in the title line (no password). */
  databaseLabel: string;
  /** Called once with the exit code before the app exits. */
  onExit: (code: number) => void;
}

type Tone = 'info' | 'ok' | 'error';
interface Status {
  text: string;
  tone: Tone;
}
interface TabState {
  list: TabList | null;
  error: string | null;
  loading: boolean;
}
interface Confirm {
  kind: ActionKind;
  id: string;
  question: string;
}
interface DetailsView {
  id: string;
  title: string;
  lines: Details | null;
  error: string | null;
  scroll: number;
}

const EMPTY_TAB: TabState = { list: null, error: null, loading: false };

const HELP = {
  list: 'Tab/S-Tab/1-8 tab  ↑↓/jk move  Enter details  r refresh  d delete/disable  e/x plugin on/off  q quit',
  details: '↑↓/jk scroll  Backspace back  r refresh  d delete/disable  e/x plugin on/off  q quit',
  confirm: 'y confirm  n/Esc cancel',
};

/** One key press, as the TUI reads it. */
interface Press {
  /** The printable character, '' for a special key. */
  input: string;
  ctrl: boolean;
  shift: boolean;
  up: boolean;
  down: boolean;
  pageUp: boolean;
  pageDown: boolean;
  enter: boolean;
  escape: boolean;
  tab: boolean;
  /** Backspace (sent as DEL by most terminals) or Delete. */
  back: boolean;
}

const NO_KEY: Press = { input: '', ctrl: false, shift: false, up: false, down: false, pageUp: false, pageDown: false, enter: false, escape: false, tab: false, back: false };

/** The presses in one ink input event: ink hands a run of plain characters over as one string. */
export function presses(input: string, key: Key): Press[] {
  const special = key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.return || key.escape || key.tab || key.backspace || key.delete || key.ctrl;
  if (special || input.length <= 1) {
    return [{
      input, ctrl: key.ctrl, shift: key.shift, up: key.upArrow, down: key.downArrow, pageUp: key.pageUp, pageDown: key.pageDown,
      enter: key.return, escape: key.escape, tab: key.tab, back: key.backspace || key.delete,
    }];
  }
  return [...input].map((char): Press => {
    switch (char) {
      case '\r':
      case '\n':
        return { ...NO_KEY, enter: true };
      case '\t':
        return { ...NO_KEY, tab: true };
      case '\x7f':
      case '\b':
        return { ...NO_KEY, back: true };
      default:
        return { ...NO_KEY, input: char, shift: /[A-Z]/.test(char) };
    }
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The terminal's size, following resizes. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = useCallback(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }), [stdout]);
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, read]);
  return size;
}

/**
 * The whole TUI. See the file comment for the keys; `props.data` is used for every read and action.
 */
export function TuiApp(props: TuiAppProps): ReactElement {
  const { data, databaseLabel, onExit } = props;
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [tabIndex, setTabIndex] = useState(0);
  const [tabs, setTabs] = useState<Record<TabKey, TabState>>(() => Object.fromEntries(TAB_KEYS.map((key) => [key, EMPTY_TAB])) as Record<TabKey, TabState>);
  const [cursors, setCursors] = useState<Record<string, number>>({});
  const [details, setDetails] = useState<DetailsView | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [status, setStatus] = useState<Status>({ text: `connected to ${databaseLabel}`, tone: 'info' });
  const [busy, setBusy] = useState(false);
  const windowStarts = useRef<Record<string, number>>({});
  const alive = useRef(true);
  useEffect(() => () => {
    alive.current = false;
  }, []);

  const tab: TabKey = TAB_KEYS[tabIndex] ?? 'dashboard';
  const state = tabs[tab];
  const list = state.list;
  const count = list?.rows.length ?? 0;
  const cursor = clampIndex(cursors[tab] ?? 0, count);
  const selected = list?.rows[cursor];

  const load = useCallback(async (key: TabKey): Promise<TabList | null> => {
    setTabs((previous) => ({ ...previous, [key]: { ...previous[key], loading: true } }));
    try {
      const loaded = await data.list(key);
      if (alive.current) setTabs((previous) => ({ ...previous, [key]: { list: loaded, error: null, loading: false } }));
      return loaded;
    } catch (error) {
      if (alive.current) setTabs((previous) => ({ ...previous, [key]: { ...previous[key], error: messageOf(error), loading: false } }));
      return null;
    }
  }, [data]);

  const openDetails = useCallback(async (key: TabKey, id: string, title: string, scroll = 0): Promise<void> => {
    setDetails({ id, title, lines: null, error: null, scroll });
    try {
      const lines = await data.details(key, id);
      if (!alive.current) return;
      setDetails({ id, title, lines, error: lines === null ? 'this record no longer exists' : null, scroll });
    } catch (error) {
      if (alive.current) setDetails({ id, title, lines: null, error: messageOf(error), scroll });
    }
  }, [data]);

  // A tab's list is read when the tab is first shown; r reads it again.
  useEffect(() => {
    if (tabs[tab].list === null && !tabs[tab].loading && tabs[tab].error === null) void load(tab);
  }, [tab, tabs, load]);

  const quit = (code: number): void => {
    onExit(code);
    exit();
  };

  const switchTab = (index: number): void => {
    const next = ((index % TAB_KEYS.length) + TAB_KEYS.length) % TAB_KEYS.length;
    setTabIndex(next);
    setDetails(null);
    setStatus({ text: '', tone: 'info' });
  };

  const move = (delta: number): void => {
    if (details) {
      setDetails({ ...details, scroll: Math.max(0, details.scroll + delta) });
      return;
    }
    setCursors((previous) => ({ ...previous, [tab]: clampIndex(cursor + delta, count) }));
  };

  const refresh = async (): Promise<void> => {
    setStatus({ text: 'refreshing…', tone: 'info' });
    const loaded = await load(tab);
    if (details) await openDetails(tab, details.id, details.title, details.scroll);
    if (alive.current) setStatus(loaded ? { text: `refreshed: ${loaded.rows.length} row(s)`, tone: 'ok' } : { text: 'refresh failed', tone: 'error' });
  };

  const ask = (kind: ActionKind): void => {
    const offer = TuiData.offer(tab, kind);
    if (!offer.available) {
      setStatus({ text: offer.reason, tone: 'error' });
      return;
    }
    const id = details?.id ?? selected?.id;
    const name = details?.title ?? selected?.cells[0];
    if (id === undefined || name === undefined) {
      setStatus({ text: 'nothing selected', tone: 'error' });
      return;
    }
    setConfirm({ kind, id, question: `${offer.verb} ${RECORD_NAMES[tab]} "${name}"? (y/n)` });
  };

  const run = async (question: Confirm): Promise<void> => {
    setBusy(true);
    setStatus({ text: 'working…', tone: 'info' });
    try {
      const outcome = await data.act(tab, question.kind, question.id);
      if (!alive.current) return;
      // The outcome goes on the status line only once the list shows it: a message saying
      // "enabled" above a row still saying "no" would contradict itself.
      if (outcome.ok) {
        await load(tab);
        if (details) {
          if (question.kind === 'delete' && (tab === 'products' || tab === 'plugins')) setDetails(null);
          else await openDetails(tab, details.id, details.title, details.scroll);
        }
      }
      if (alive.current) setStatus({ text: outcome.message, tone: outcome.ok ? 'ok' : 'error' });
    } catch (error) {
      if (alive.current) setStatus({ text: `failed: ${messageOf(error)}`, tone: 'error' });
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const handle = (press: Press): void => {
    const { input } = press;
    if (press.ctrl && input === 'c') {
      quit(130);
      return;
    }
    if (confirm) {
      if (input === 'y' || input === 'Y') {
        setConfirm(null);
        void run(confirm);
      } else if (input === 'n' || input === 'N' || press.escape) {
        setConfirm(null);
        setStatus({ text: 'cancelled: nothing changed', tone: 'info' });
      } else if (input === 'q') {
        quit(0);
      }
      return;
    }
    if (input === 'q' || press.escape) {
      quit(0);
      return;
    }
    if (press.tab) {
      switchTab(tabIndex + (press.shift ? -1 : 1));
      return;
    }
    if (/^[1-8]$/.test(input)) {
      switchTab(Number(input) - 1);
      return;
    }
    if (press.up || input === 'k') return move(-1);
    if (press.down || input === 'j') return move(1);
    if (press.pageUp) return move(-10);
    if (press.pageDown) return move(10);
    if (press.back) {
      if (details) setDetails(null);
      return;
    }
    if (busy) return;
    if (input === 'r') {
      void refresh();
      return;
    }
    if (press.enter) {
      if (tab === 'dashboard' || tab === 'db_status') {
        setStatus({ text: 'no details on this tab', tone: 'info' });
      } else if (selected) {
        void openDetails(tab, selected.id, selected.cells[0] ?? selected.id);
      }
      return;
    }
    if (input === 'd') ask('delete');
    else if (input === 'e') ask('enable');
    else if (input === 'x') ask('disable');
  };

  // Keys are queued and handled one per render, so that each sees what the previous one changed
  // (several keys can arrive in one read: fast typing, key repeat, a paste).
  const queue = useRef<Press[]>([]);
  const [tick, setTick] = useState(0);
  useInput((input: string, key: Key) => {
    queue.current.push(...presses(input, key));
    setTick((value) => value + 1);
  });
  useEffect(() => {
    const next = queue.current.shift();
    if (next === undefined) return;
    handle(next);
    if (queue.current.length > 0) setTick((value) => value + 1);
    // Deliberately only [tick]: one run per queued key, with this render's state.
  }, [tick]);

  // Layout: title, tabs, rule, body, rule, status, help; one line short of the terminal so ink never scrolls.
  const width = Math.max(20, columns - 1);
  const bodyHeight = Math.max(3, rows - 7);
  const rule = '─'.repeat(width);

  // One line: the spec's titles, or short ones when they do not fit.
  const fullBar = TAB_KEYS.map((key) => ` ${TAB_TITLES[key]} `).join('').length + 2 * TAB_KEYS.length <= width;
  const tabBar = h(Text, { wrap: 'truncate' }, ...TAB_KEYS.map((key, i) => {
    const label = `${i + 1} ${fullBar ? TAB_TITLES[key] : SHORT_TAB_TITLES[key]}`;
    return i === tabIndex
      ? h(Text, { key, inverse: true, bold: true }, `[${label}]`)
      : h(Text, { key, dimColor: true }, ` ${label} `);
  }));

  let body: ReactElement[];
  if (details) {
    const labelWidth = Math.min(24, Math.max(8, ...(details.lines ?? []).map(([label]) => label.length)));
    const header = h(Text, { key: 'h', bold: true }, fit(`${TAB_TITLES[tab]} › ${details.title}`, width));
    const content: ReactElement[] = details.lines === null
      ? [h(Text, { key: 'l', color: details.error ? 'red' : undefined }, details.error ?? 'loading…')]
      : details.lines.slice(Math.min(details.scroll, Math.max(0, details.lines.length - 1)), undefined).slice(0, bodyHeight - 1).map(([label, value], i) =>
        h(Text, { key: `d${i}` }, h(Text, { color: 'cyan' }, fit(label, labelWidth)), '  ', fit(value, width - labelWidth - 2, false)));
    body = [header, ...content];
  } else if (list === null) {
    body = [h(Text, { key: 'l', color: state.error ? 'red' : undefined }, state.error ? `cannot read ${TAB_TITLES[tab]}: ${state.error}` : 'loading…')];
  } else {
    const widths = columnWidths(list.columns, list.rows.map((row) => row.cells), width - 2);
    const visible = bodyHeight - 1;
    const start = windowStart(cursor, count, visible, windowStarts.current[tab] ?? 0);
    windowStarts.current[tab] = start;
    const header = h(Text, { key: 'h', bold: true, underline: true }, `  ${tableLine(list.columns, widths)}`);
    const lines = list.rows.slice(start, start + visible).map((row, i) => {
      const index = start + i;
      const line = tableLine(row.cells, widths);
      return index === cursor
        ? h(Text, { key: row.id, inverse: true }, `› ${line}`)
        : h(Text, { key: row.id }, `  ${line}`);
    });
    body = [header, ...(list.rows.length === 0 ? [h(Text, { key: 'e', dimColor: true }, '  (no rows)')] : lines)];
    if (state.error) body.push(h(Text, { key: 'err', color: 'red' }, fit(`refresh failed: ${state.error}`, width)));
  }

  const position = !details && count > 0 ? `${cursor + 1}/${count}` : '';
  const statusLine = confirm
    ? h(Text, { color: 'yellow', bold: true }, fit(confirm.question, width))
    : h(Text, { color: status.tone === 'error' ? 'red' : status.tone === 'ok' ? 'green' : undefined }, fit(status.text, width - position.length - 1), ' ', position);

  return h(Box, { flexDirection: 'column', width: columns, height: rows - 1 },
    h(Text, { bold: true }, fit(`RustBill TUI (NodeBill) · ${databaseLabel}`, width)),
    tabBar,
    h(Text, { dimColor: true }, rule),
    h(Box, { flexDirection: 'column', height: bodyHeight }, ...body),
    h(Text, { dimColor: true }, rule),
    statusLine,
    h(Text, { dimColor: true }, fit(confirm ? HELP.confirm : details ? HELP.details : HELP.list, width)),
  );
}
