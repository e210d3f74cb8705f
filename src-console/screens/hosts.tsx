import { type FormEvent, useEffect, useId, useRef } from 'react';
import { adminApi } from '../api/admin.js';
import type { DiskEncryptionStatus, HostSortKey, HostsQuery, Platform } from '../api/types.js';
import { announce } from '../components/announcer.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { StatusBadge } from '../components/status.js';
import { Pager, ScrollTable, SortHeader } from '../components/table.js';
import { formatAgo, formatCount, formatDateTime } from '../format.js';
import { href, Link, navigate, useLocation } from '../router.js';
import { NO_TEAM, PLATFORM_NAMES, PLATFORMS, STATUS_NAMES, STATUS_ORDER } from '../strings.js';
import { useResource } from '../use-resource.js';

const PER_PAGE = 50;
const COLUMNS: readonly { key: HostSortKey; label: string }[] = [
  { key: 'hostname', label: 'Host' },
  { key: 'hardware_serial', label: 'Serial' },
  { key: 'platform', label: 'Platform' },
  { key: 'status', label: 'Status' },
  { key: 'team_name', label: 'Team' },
  { key: 'seen_time', label: 'Last seen' },
];

/** The list's whole state is in the URL, so a link or "back" shows the same search, filters and page. */
function queryFromUrl(q: URLSearchParams): HostsQuery {
  const out: HostsQuery = { per_page: PER_PAGE };
  const text = q.get('query');
  if (text) out.query = text;
  const status = q.get('status');
  if (status && status in STATUS_NAMES) out.status = status as DiskEncryptionStatus;
  const platform = q.get('platform');
  if (platform && platform in PLATFORM_NAMES) out.platform = platform as Platform;
  const team = q.get('team_id');
  if (team && /^\d+$/.test(team)) out.team_id = Number(team);
  const sort = q.get('order_key');
  if (sort && COLUMNS.some((c) => c.key === sort)) out.order_key = sort as HostSortKey;
  if (q.get('order_direction') === 'desc') out.order_direction = 'desc';
  const after = q.get('after');
  if (after) out.after = after;
  const before = q.get('before');
  if (before) out.before = before;
  return out;
}

export function HostsScreen() {
  const { query } = useLocation();
  const q = queryFromUrl(query);
  const key = query.toString();
  const ids = { search: useId(), status: useId(), platform: useId(), team: useId(), hint: useId() };
  const searchRef = useRef<HTMLInputElement>(null);
  const hosts = useResource((signal) => adminApi.hosts(q, signal), [key]);
  const teams = useResource((signal) => adminApi.teams(signal), []);

  /** A new search or filter starts at the first page; paging and sorting keep the rest. */
  const go = (change: Partial<Record<keyof HostsQuery, string | number | null>>, replace = false) => {
    const next: Record<string, string | number | null | undefined> = { ...q, per_page: null, ...change };
    if (!('after' in change) && !('before' in change)) {
      next.after = null;
      next.before = null;
    }
    navigate(href('/hosts', next), { replace });
  };

  // Typing searches by itself after a short pause; the URL is replaced, not pushed, so "back" is not
  // a walk through every letter.
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
    if (!hosts.loading && data) {
      announce(data.total === 1 ? '1 host found' : `${formatCount(data.total)} hosts found`);
    }
  }, [hosts.loading, data]);

  const sortKey = q.order_key ?? 'hostname';
  const direction = q.order_direction ?? 'asc';

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
              {STATUS_ORDER.filter((s) => s !== 'unmanaged').map((s) => (
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
          <div className="filter">
            <label htmlFor={ids.team}>Team</label>
            <select
              id={ids.team}
              value={q.team_id === undefined ? '' : String(q.team_id)}
              onChange={(e) => go({ team_id: e.target.value === '' ? null : Number(e.target.value) })}
            >
              <option value="">All teams</option>
              <option value="0">{NO_TEAM}</option>
              {(teams.data ?? []).map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
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
            {data.total === 1 ? '1 host' : `${formatCount(data.total)} hosts`}
            {hosts.loading ? ' · updating…' : ''}
          </p>
          {data.hosts.length === 0 ? (
            <p>No host matches. Try fewer filters, or part of a serial number or hostname.</p>
          ) : (
            <ScrollTable label="Hosts">
              <table className="hosts-table">
                <thead>
                  <tr>
                    {COLUMNS.map((c) => (
                      <SortHeader
                        key={c.key}
                        label={c.label}
                        active={sortKey === c.key}
                        direction={direction}
                        onSort={(d) => go({ order_key: c.key, order_direction: d })}
                      />
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.hosts.map((h) => (
                    <tr key={h.id}>
                      <th scope="row">
                        <Link to={href(`/hosts/${h.id}`)}>{h.hostname}</Link>
                        {h.primary_user ? <span className="block muted small">{h.primary_user}</span> : null}
                      </th>
                      <td className="mono">{h.hardware_serial}</td>
                      <td>{PLATFORM_NAMES[h.platform]}</td>
                      <td>
                        <StatusBadge status={h.status} />
                      </td>
                      <td>{h.team_name ?? <span className="muted">{NO_TEAM}</span>}</td>
                      <td title={formatDateTime(h.seen_time)}>{formatAgo(h.seen_time)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          )}
          <Pager
            label="Host pages"
            prev={data.prev_cursor !== null}
            next={data.next_cursor !== null}
            onPrev={() => go({ before: data.prev_cursor, after: null })}
            onNext={() => go({ after: data.next_cursor, before: null })}
          />
        </div>
      )}
    </>
  );
}
