/** Developer-portal sign-ups waiting for approval, and invitations by e-mail (environment admins). */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc } from '../api';
import { Pager, usePaged } from '../components/paged';
import { useToast } from '../components/toast';
import { Badge, CopyButton, Empty, ErrorBanner, Field, Loading, Modal, PageHeader, Time } from '../components/ui';
import { useEnv } from '../session';

interface Signup {
  id: string;
  email: string;
  name: string;
  status: 'unverified' | 'pending' | 'active' | 'rejected';
  reason: string | null;
  createdAt: string;
  reviewedAt: string | null;
}

interface Invitation {
  email: string;
  expiresAt: string;
  mailed: boolean;
  signupUrl: string | null;
}

export default function Signups() {
  const { env } = useEnv();
  const [status, setStatus] = useState('pending');
  const [rejecting, setRejecting] = useState<Signup | null>(null);
  const [inviting, setInviting] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const base = `/environments/${enc(env)}/portal`;
  const paged = usePaged<Signup>(['portal-signups', env], `${base}/signups`, {
    status: status || undefined,
    limit: 50,
  });
  const items = paged.data?.items ?? [];
  const refresh = () => client.invalidateQueries({ queryKey: ['portal-signups', env] });
  const approve = async (s: Signup) => {
    try {
      await api.post(`${base}/signups/${enc(s.id)}/approve`, {});
      toast.ok(`${s.email} can sign in now`);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  return (
    <>
      <PageHeader
        title="Sign-ups"
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setInviting(true)}>
            Invite by e-mail
          </button>
        }
      >
        People who signed up on the developer portal. Approved accounts become consumers of this environment.
      </PageHeader>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="signup-status">Status</label>
          <select id="signup-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {['pending', 'unverified', 'active', 'rejected'].map((s) => (
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
          <Empty title={status === 'pending' ? 'Nothing waiting for approval' : 'No sign-ups'} />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>E-mail</th>
                  <th>Status</th>
                  <th>Signed up</th>
                  <th>
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id}>
                    <td>{s.name}</td>
                    <td>{s.email}</td>
                    <td>
                      <Badge value={s.status} />
                      {s.reason && <div className="muted">{s.reason}</div>}
                    </td>
                    <td>
                      <Time iso={s.createdAt} />
                    </td>
                    <td className="row">
                      {s.status === 'pending' && (
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-label={`Approve ${s.email}`}
                          onClick={() => approve(s)}
                        >
                          Approve
                        </button>
                      )}
                      {(s.status === 'pending' || s.status === 'unverified') && (
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          aria-label={`Reject ${s.email}`}
                          onClick={() => setRejecting(s)}
                        >
                          Reject
                        </button>
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
      {rejecting && (
        <RejectDialog
          url={`${base}/signups/${enc(rejecting.id)}/reject`}
          email={rejecting.email}
          onClose={() => setRejecting(null)}
          onDone={() => {
            setRejecting(null);
            refresh();
          }}
        />
      )}
      {inviting && <InviteDialog url={`${base}/invitations`} onClose={() => setInviting(false)} />}
    </>
  );
}

function RejectDialog({
  url,
  email,
  onClose,
  onDone,
}: {
  url: string;
  email: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const toast = useToast();
  const submit = async () => {
    try {
      await api.post(url, reason ? { reason } : {});
      toast.ok(`Sign-up of ${email} rejected`);
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title="Reject sign-up"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" onClick={submit}>
            Reject
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <p>The account of {email} is removed; they are told by mail (with the reason, if any).</p>
      <Field label="Reason (optional)" errors={error instanceof ApiError ? error.at('body.reason') : []}>
        {(p) => <textarea {...p} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />}
      </Field>
    </Modal>
  );
}

function InviteDialog({ url, onClose }: { url: string; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<Invitation | null>(null);
  const toast = useToast();
  const submit = async () => {
    try {
      const invitation = await api.post<Invitation>(url, { email });
      if (invitation.mailed) {
        toast.ok(`Invitation mailed to ${invitation.email}`);
        onClose();
      } else setSent(invitation);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      title="Invite by e-mail"
      onClose={onClose}
      footer={
        sent ? (
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" onClick={submit}>
              Invite
            </button>
          </>
        )
      }
    >
      <ErrorBanner error={error} />
      {sent?.signupUrl ? (
        <div className="secret-once">
          <p className="alert alert-warn">
            E-mail is not configured: pass this link to {sent.email} yourself. It is shown only once and works until{' '}
            <Time iso={sent.expiresAt} />.
          </p>
          <div className="secret-row">
            <code className="secret">{sent.signupUrl}</code>
            <CopyButton text={sent.signupUrl} />
          </div>
        </div>
      ) : (
        <Field label="E-mail address" errors={error instanceof ApiError ? error.at('body.email') : []}>
          {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
      )}
    </Modal>
  );
}
