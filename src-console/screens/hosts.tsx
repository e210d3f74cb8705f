import { type FormEvent, useEffect, useId, useRef } from 'react';
import { adminApi } from '../api/admin.js';
import type { HostListQuery, HostOrderKey, Optional, Platform, StatusFilter } from '../api/types.js';
import { announce } from '../components/announcer.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { StatusBadge } from '../components/status.js';
import { ScrollTable, SortHeader } from '../components/table.js';
import { formatAgo, formatCount } from '../format.js';
import { href, Link, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { NO_TEAM, PLATFORM_NAMES, PLATFORMS, STATUS_NAMES, STATUS_ORDER } from '../strings.js';
import { useResource } from '../use-resource.js';
import { KeysetPager, previousCursor, rememberCursor } from './keyset.js';

const PER_PAGE = 50;
type Query = Optional<Omit<HostListQuery, 'page'>>;
const COLUMNS: readonly { key: HostOrderKey | null; label: string }[] = [
  { key: 'hostname', label: 'Host' },
  // Status second: on a phone it is still on screen before the table scrolls.
  { key: 'status', label: 'Status' },
  { key: 'hardware_serial', label: 'Serial' },
  { key: 'platform', label: 'Platform' },
  { key: null, label: 'Team' },
  { key: 'seen_time', label: 'Last seen' },
];
const SORTABLE: readonly string[] = COLUMNS.flatMap((c) => (c.key ? [c.key] : []));

/** The list's whole state is in the URL, so a link, a reload or "back" shows the same search and page. */
function queryFromUrl(q: URLSearchParams): Query {
  const out: Query = { per_page: PER_PAGE, order_key: 'hostname', order_direction: 'asc' };
  const text = q.get('query');
  if (text) out.query = text;
  const status = q.get('status');
  if (status && status in STATUS_NAMES) out.status = status as StatusFilter;
  const platform = q.get('platform');
  if (platform && platform in PLATFORM_NAMES) out.platform = platform as Platform;
  const team = q.get('team_id');
  if (team && /^\d+$/.test(team)) out.team_id = Number(team);
  const sort = q.get('order_key');
  if (sort && SORTABLE.includes(sort)) out.order_key = sort as HostOrderKey;
  if (q.get('order_direction') === 'desc') out.order_direction = 'desc';
  const cursor = q.get('cursor');
  if (cursor) out.cursor = cursor;
  return out;
}

export function HostsScreen() {
  const { can } = useSession();
  const { query } = useLocation();
  const q = queryFromUrl(query);
  const key = query.toString();
  const { cursor: _cursor, ...filters } = q;
  const filterKey = JSON.stringify(filters);
  const ids = { search: useId(), status: useId(), platform: useId(), team: useId(), hint: useId() };
  const searchRef = useRef<HTMLInputElement>(null);
  const hosts = useResource((signal) => adminApi.hosts(q, signal), [key]);
  // The count is its own request, so the list never waits for it.
  const count = useResource((signal) => adminApi.countHosts(filters, signal), [filterKey]);
  const teams = useResource(
    (signal) => (can.seeTeams ? adminApi.teams(signal) : Promise.resolve(null)),
    [can.seeTeams],
  );

  /** A new search or filter starts at the first page; paging keeps everything else. */
  const go = (change: Record<string, string | number | null>, replace = false) => {
    const next: Record<string, string | number | null | undefined> = {
      ...q,
      per_page: null,
      cursor: null,
      ...change,
    };
    if (next.order_key === 'hostname') next.order_key = null;
    if (next.order_direction === 'asc') next.order_direction = null;
    navigate(href('/hosts', next), { replace });
  };

  // Typing searches by itself after a short pause; the URL is replaced, not pushed, so "back" is not a
  // walk through every letter. Enter searches at once.
  const timer = useRef<number | undefined>(undefined);
  const onType = (value: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => go({ query: value.trim() || null }, true), 250);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    window.clearTimeout(timer.current);
    go({ query: searchRef.current?.value.trim() || null });
  };

  const data = hosts.data;
  useEffect(() => {
    if (!count.loading && count.data !== null) {
      announce(count.data === 1 ? '1 host found' : `${formatCount(count.data)} hosts found`);
    }
  }, [count.loading, count.data]);

  return (
    <>
      <PageHeading title="Hosts">
        <a className="button-link" href={adminApi.hostsCsvUrl(q)} download>
          Export CSV
        </a>
      </PageHeading>
      <search>
        <form className="filters" aria-label="Search hosts" onSubmit={onSubmit}>
          <div className="filter search-filter">
            <label htmlFor={ids.search}>Search</label>
            <input
              ref={searchRef}
              id={ids.search}
              type="search"
              defaultValue={q.query ?? ''}
              key={q.query ?? ''}
              aria-describedby={ids.hint}
              autoComplete="off"
              spellCheck={false}
              maxLength={256}
              onChange={(e) => onType(e.target.value)}
            />
            <span id={ids.hint} className="hint">
              Hostname, serial number, hardware UUID or user
            </span>
          </div>
          <div className="filter">
            <label htmlFor={ids.status}>Status</label>
            <select
              id={ids.status}
              value={q.status ?? ''}
              onChange={(e) => go({ status: e.target.value || null })}
            >
              <option value="">Any status</option>
              {STATUS_ORDER.map((s) => (
                <option key={s} value={s}>
                  {STATUS_NAMES[s]}
                </option>
              ))}
            </select>
          </div>
          <div className="filter">
            <label htmlFor={ids.platform}>Platform</label>
            <select
              id={ids.platform}
              value={q.platform ?? ''}
              onChange={(e) => go({ platform: e.target.value || null })}
            >
              <option value="">Any platform</option>
              {PLATFORMS.map((p) => (
                <option key={p} value={p}>
                  {PLATFORM_NAMES[p]}
                </option>
              ))}
            </select>
          </div>
          {teams.data ? (
            <div className="filter">
              <label htmlFor={ids.team}>Team</label>
              <select
                id={ids.team}
                value={q.team_id === undefined ? '' : String(q.team_id)}
                onChange={(e) => go({ team_id: e.target.value === '' ? null : Number(e.target.value) })}
              >
                <option value="">All teams</option>
                {teams.data.no_team ? <option value="0">{NO_TEAM}</option> : null}
                {teams.data.teams.map((t) => (
                  <option key={t.id} value={String(t.id)}>
                    {t.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <button type="submit" className="primary">
            Search
          </button>
        </form>
      </search>

      {hosts.error ? <LoadError message={hosts.error} retry={hosts.reload} /> : null}
      {!data ? (
        hosts.loading ? (
          <Loading what="Searching…" />
        ) : null
      ) : (
        <div aria-busy={hosts.loading}>
          <p className="muted small result-count">
            {count.data === null
              ? 'Counting…'
              : count.data === 1
                ? '1 host'
                : `${formatCount(count.data)} hosts`}
            {hosts.loading ? ' · updating…' : ''}
          </p>
          {data.hosts.length === 0 ? (
            <p>No host matches. Try fewer filters, or part of a serial number or hostname.</p>
          ) : (
            <ScrollTable label="Hosts">
              <table className="hosts-table">
                <thead>
                  <tr>
                    {COLUMNS.map((c) =>
                      c.key ? (
                        <SortHeader
                          key={c.label}
                          label={c.label}
                          active={q.order_key === c.key}
                          direction={q.order_direction ?? 'asc'}
                          onSort={(d) => go({ order_key: c.key, order_direction: d })}
                        />
                      ) : (
                        <th key={c.label} scope="col">
                          {c.label}
                        </th>
                      ),
                    )}
                  </tr>
                </thead>
                <tbody>
                  {data.hosts.map((h) => (
                    <tr key={h.id}>
                      <th scope="row">
                        <Link to={href(`/hosts/${h.id}`)}>{h.display_name}</Link>
                        {h.logged_in_user ? (
                          <span className="block muted small">{h.logged_in_user}</span>
                        ) : null}
                      </th>
                      <td>
                        <StatusBadge status={h.mdm.os_settings.disk_encryption.status} />
                      </td>
                      <td className="mono">{h.hardware_serial}</td>
                      <td>{PLATFORM_NAMES[h.platform]}</td>
                      <td>{h.team_name ?? <span className="muted">{NO_TEAM}</span>}</td>
                      <td>{formatAgo(h.seen_time)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          )}
          <KeysetPager
            label="Host pages"
            hasPrevious={data.meta.has_previous_results}
            hasNext={data.next_cursor !== null}
            onPrevious={() => go({ cursor: previousCursor('hosts', q.cursor) })}
            onNext={() => {
              rememberCursor('hosts', data.next_cursor, q.cursor);
              go({ cursor: data.next_cursor });
            }}
          />
        </div>
      )}
    </>
  );
}
