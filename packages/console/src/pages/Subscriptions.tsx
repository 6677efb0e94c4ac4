/** Subscriptions across the environment; the pending ones form the approval queue. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, enc } from '../api';
import { usePaged } from '../components/paged';
import { actionsColumn, type Column, DataTable, ReasonDialog, StatusFilter } from '../components/tables';
import { useToast } from '../components/toast';
import { Badge, Empty, PageHeader, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Subscription } from '../types';

export default function Subscriptions() {
  const { env } = useEnv();
  const canReview = useCan('subscriptions:review');
  const [status, setStatus] = useState(canReview ? 'pending' : '');
  const [reviewing, setReviewing] = useState<{ sub: Subscription; verdict: 'approve' | 'reject' } | null>(null);
  const client = useQueryClient();
  const toast = useToast();
  const paged = usePaged<Subscription>(['subscriptions', env], `/environments/${enc(env)}/subscriptions`, {
    status: status || undefined,
    sort: '-createdAt',
    limit: 50,
  });
  const columns: Column<Subscription>[] = [
    {
      header: 'Application',
      cell: (s) => (
        <Link to={`/e/${env}/applications/${s.applicationId}`} className="mono">
          {s.applicationId.slice(0, 8)}
        </Link>
      ),
    },
    {
      header: 'API / plan',
      cell: (s) => (
        <>
          <Link to={`/e/${env}/apis/${enc(s.apiId)}`}>{s.apiId}</Link> / {s.planId}
        </>
      ),
    },
    { header: 'Status', cell: (s) => <Badge value={s.status} /> },
    { header: 'Reason', cell: (s) => s.reason ?? <span className="muted">—</span> },
    { header: 'Requested', cell: (s) => <Time iso={s.createdAt} /> },
    actionsColumn((s) =>
      canReview && s.status === 'pending' ? (
        <>
          <button type="button" className="btn btn-small" onClick={() => setReviewing({ sub: s, verdict: 'approve' })}>
            Approve
          </button>
          <button
            type="button"
            className="btn btn-small btn-danger"
            onClick={() => setReviewing({ sub: s, verdict: 'reject' })}
          >
            Reject
          </button>
        </>
      ) : null,
    ),
  ];
  return (
    <>
      <PageHeader title="Subscriptions">
        {canReview
          ? 'Approve or reject requests for plans with manual approval.'
          : 'Subscriptions of your applications.'}
      </PageHeader>
      <StatusFilter
        id="sub-status"
        value={status}
        options={['pending', 'accepted', 'rejected', 'closed']}
        onChange={setStatus}
      />
      <DataTable
        columns={columns}
        rowKey={(s) => s.id}
        paged={paged}
        empty={<Empty title={status === 'pending' ? 'Nothing waiting for approval' : 'No subscriptions'} />}
      />
      {reviewing && (
        <ReasonDialog
          title={reviewing.verdict === 'approve' ? 'Approve subscription' : 'Reject subscription'}
          confirm={reviewing.verdict === 'approve' ? 'Approve' : 'Reject'}
          reasonLabel="Reason (shown to the consumer)"
          onClose={() => setReviewing(null)}
          onConfirm={async (body) => {
            const { sub, verdict } = reviewing;
            await api.post(`/environments/${enc(env)}/subscriptions/${enc(sub.id)}/${verdict}`, body);
            await client.invalidateQueries({ queryKey: ['subscriptions', env] });
            toast.ok(verdict === 'approve' ? 'Subscription approved' : 'Subscription rejected');
          }}
        >
          <p>
            {reviewing.sub.apiId} / {reviewing.sub.planId}
          </p>
        </ReasonDialog>
      )}
    </>
  );
}
