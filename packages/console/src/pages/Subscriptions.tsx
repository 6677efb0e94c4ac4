/** Subscriptions across the environment; the pending ones form the approval queue. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, enc } from '../api';
import { Pager, usePaged } from '../components/paged';
import { useToast } from '../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Modal, PageHeader, Time } from '../components/ui';
import { useCan, useEnv } from '../session';
import type { Subscription } from '../types';

export default function Subscriptions() {
  const { env } = useEnv();
  const canReview = useCan('subscriptions:review');
  const [status, setStatus] = useState(canReview ? 'pending' : '');
  const [reviewing, setReviewing] = useState<{ sub: Subscription; verdict: 'approve' | 'reject' } | null>(null);
  const paged = usePaged<Subscription>(['subscriptions', env], `/environments/${enc(env)}/subscriptions`, {
    status: status || undefined,
    sort: '-createdAt',
    limit: 50,
  });
  const items = paged.data?.items ?? [];
  return (
    <>
      <PageHeader title="Subscriptions">
        {canReview
          ? 'Approve or reject requests for plans with manual approval.'
          : 'Subscriptions of your applications.'}
      </PageHeader>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="sub-status">Status</label>
          <select id="sub-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {['pending', 'accepted', 'rejected', 'closed'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBanner error={paged.error} />
      <div className="panel panel-flush">
        {paged.isPending ? (
          <Loading />
        ) : items.length === 0 ? (
          <Empty title={status === 'pending' ? 'Nothing waiting for approval' : 'No subscriptions'} />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Application</th>
                  <th>API / plan</th>
                  <th>Status</th>
                  <th>Reason</th>
                  <th>Requested</th>
                  <th>
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/e/${env}/applications/${s.applicationId}`} className="mono">
                        {s.applicationId.slice(0, 8)}
                      </Link>
                    </td>
                    <td>
                      <Link to={`/e/${env}/apis/${enc(s.apiId)}`}>{s.apiId}</Link> / {s.planId}
                    </td>
                    <td>
                      <Badge value={s.status} />
                    </td>
                    <td>{s.reason ?? <span className="muted">—</span>}</td>
                    <td>
                      <Time iso={s.createdAt} />
                    </td>
                    <td className="row">
                      {canReview && s.status === 'pending' && (
                        <>
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setReviewing({ sub: s, verdict: 'approve' })}
                          >
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
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged as never} />
      </div>
      {reviewing && <ReviewDialog env={env} {...reviewing} onClose={() => setReviewing(null)} />}
    </>
  );
}

function ReviewDialog({
  env,
  sub,
  verdict,
  onClose,
}: {
  env: string;
  sub: Subscription;
  verdict: 'approve' | 'reject';
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const client = useQueryClient();
  const toast = useToast();
  const submit = async () => {
    try {
      await api.post(`/environments/${enc(env)}/subscriptions/${enc(sub.id)}/${verdict}`, reason ? { reason } : {});
      await client.invalidateQueries({ queryKey: ['subscriptions', env] });
      toast.ok(verdict === 'approve' ? 'Subscription approved' : 'Subscription rejected');
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title={verdict === 'approve' ? 'Approve subscription' : 'Reject subscription'}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={submit}>
            {verdict === 'approve' ? 'Approve' : 'Reject'}
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <p>
        {sub.apiId} / {sub.planId}
      </p>
      <Field label="Reason (shown to the consumer)">
        {(p) => <textarea {...p} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
    </Modal>
  );
}
