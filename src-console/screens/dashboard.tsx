import { useId, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { DashboardResponse, NeedsAttentionPage, TeamsResponse } from '../api/types.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { StatusBadge } from '../components/status.js';
import { ScrollTable } from '../components/table.js';
import { formatCount } from '../format.js';
import { href, Link } from '../router.js';
import { useSession } from '../session.js';
import { NO_TEAM, PLATFORM_NAMES, PLATFORMS, STATUS_ORDER } from '../strings.js';
import { useResource } from '../use-resource.js';
import { TrendChart } from './trend-chart.js';

/** The fleet at a glance: where every host stands, how that moved in 30 days, and who needs a hand. */
export function DashboardScreen() {
  const { can } = useSession();
  // '' = every team the caller sees; '0' = no team; else a team id (the server scopes all three calls).
  const [team, setTeam] = useState('');
  const teamId = team === '' ? undefined : Number(team);
  const selectId = useId();
  const teams = useResource(
    (signal) => (can.seeTeams ? adminApi.teams(signal) : Promise.resolve<TeamsResponse | null>(null)),
    [can.seeTeams],
  );
  const res = useResource(
    async (signal) => {
      const [dashboard, history, attention] = await Promise.all([
        adminApi.dashboard(teamId, signal),
        adminApi.history(teamId, signal),
        adminApi.needsAttention(teamId, signal),
      ]);
      return { dashboard, history, attention };
    },
    [teamId],
  );

  return (
    <>
      <PageHeading title="Dashboard">
        {teams.data ? (
          <div className="inline-field">
            <label htmlFor={selectId}>Team</label>
            <select id={selectId} value={team} onChange={(e) => setTeam(e.target.value)}>
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
      </PageHeading>
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!res.data ? (
        res.loading ? (
          <Loading />
        ) : null
      ) : (
        <div aria-busy={res.loading}>
          <section aria-labelledby="counts-title" className="section first">
            <h2 id="counts-title">Hosts by status and platform</h2>
            <CountsTable dashboard={res.data.dashboard} teamId={teamId} />
          </section>
          <section aria-labelledby="trend-title" className="section">
            <h2 id="trend-title">The last 30 days</h2>
            <TrendChart daily={res.data.history.days} />
          </section>
          <Attention page={res.data.attention} total={res.data.dashboard.needs_attention} />
        </div>
      )}
    </>
  );
}

function Attention({ page, total }: { page: NeedsAttentionPage; total: number }) {
  return (
    <section aria-labelledby="attention-title" className="section">
      <h2 id="attention-title">
        Needs attention <span className="muted">({formatCount(total)})</span>
      </h2>
      {page.hosts.length === 0 ? (
        <p className="muted">Nothing needs attention.</p>
      ) : (
        <ScrollTable label="Hosts that need attention">
          <table className="attention-table">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Status</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {page.hosts.map(({ host, reasons }) => (
                <tr key={host.id}>
                  <th scope="row">
                    <Link to={href(`/hosts/${host.id}`)}>{host.display_name}</Link>
                    <span className="block muted small">
                      {PLATFORM_NAMES[host.platform]} · {host.team_name ?? NO_TEAM}
                    </span>
                  </th>
                  <td>
                    <StatusBadge status={host.mdm.os_settings.disk_encryption.status} />
                  </td>
                  <td>
                    {reasons.map((r) => (
                      <span key={r.code} className="block">
                        {r.text}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {total > page.hosts.length ? (
        <p className="small after-table">
          Showing {page.hosts.length} of {formatCount(total)}.{' '}
          <Link to={href('/hosts', { status: 'action_required' })}>See hosts that need action</Link>
        </p>
      ) : null}
    </section>
  );
}

/** Rows are statuses (worst first), columns platforms; each number links to that filtered host list. */
function CountsTable({ dashboard, teamId }: { dashboard: DashboardResponse; teamId: number | undefined }) {
  const counts = dashboard.counts;
  const sum = (status?: string, platform?: string) =>
    counts
      .filter((c) => (!status || c.status === status) && (!platform || c.platform === platform))
      .reduce((s, c) => s + c.hosts, 0);
  const statuses = STATUS_ORDER.filter((s) => sum(s) > 0);
  if (dashboard.total_hosts === 0) return <p className="muted">No hosts have enrolled yet.</p>;
  const link = (status: string, platform: string | null, n: number) =>
    n === 0 ? (
      <span className="muted">0</span>
    ) : (
      <Link to={href('/hosts', { status, platform, team_id: teamId })}>{formatCount(n)}</Link>
    );
  return (
    <ScrollTable label="Counts by status and platform">
      <table className="counts">
        <thead>
          <tr>
            <th scope="col">Status</th>
            {PLATFORMS.map((p) => (
              <th key={p} scope="col" className="num">
                {PLATFORM_NAMES[p]}
              </th>
            ))}
            <th scope="col" className="num">
              All platforms
            </th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((s) => (
            <tr key={s}>
              <th scope="row">
                <StatusBadge status={s} />
              </th>
              {PLATFORMS.map((p) => (
                <td key={p} className="num">
                  {link(s, p, sum(s, p))}
                </td>
              ))}
              <td className="num">{link(s, null, sum(s))}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All statuses</th>
            {PLATFORMS.map((p) => (
              <td key={p} className="num">
                {formatCount(sum(undefined, p))}
              </td>
            ))}
            <td className="num">{formatCount(dashboard.total_hosts)}</td>
          </tr>
        </tfoot>
      </table>
    </ScrollTable>
  );
}
