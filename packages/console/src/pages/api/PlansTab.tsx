/** Plans of an API: create, edit (security, approval, policies), publish, deprecate, close. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, enc, type Page, send } from '../../api';
import { PolicyEditor } from '../../components/PolicyEditor';
import { usePolicyCatalog } from '../../components/policies';
import { SchemaForm } from '../../components/SchemaForm';
import { useToast } from '../../components/toast';
import { Badge, Empty, ErrorBanner, Field, Loading, Modal } from '../../components/ui';
import { useCan } from '../../session';
import type { Api, Plan } from '../../types';

const SECURITY = ['api-key', 'keyless', 'jwt', 'oauth2', 'mtls', 'basic-auth'];
const NEXT_STATUS: Record<Plan['status'], { to: Plan['status']; label: string }[]> = {
  staging: [{ to: 'published', label: 'Publish' }],
  published: [{ to: 'deprecated', label: 'Deprecate' }],
  deprecated: [
    { to: 'published', label: 'Re-publish' },
    { to: 'closed', label: 'Close' },
  ],
  closed: [],
};

/** Reads the plan's ETag first, so the change is refused (412) if it moved meanwhile. */
async function patchPlan(base: string, planId: string, body: unknown) {
  const { etag } = await send<Plan>('GET', `${base}/${enc(planId)}`);
  return send<Plan>('PATCH', `${base}/${enc(planId)}`, { body, ifMatch: etag });
}

export function PlansTab({ env, api: current }: { env: string; api: Api }) {
  const canWrite = useCan('apis:write');
  const client = useQueryClient();
  const toast = useToast();
  const base = `/environments/${enc(env)}/apis/${enc(current.id)}/plans`;
  const plans = useQuery({
    queryKey: ['plans', env, current.id],
    queryFn: () => api.get<Page<Plan>>(base, { limit: 100 }),
  });
  const [editing, setEditing] = useState<Plan | 'new' | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['plans', env, current.id] });

  const transition = async (plan: Plan, to: Plan['status']) => {
    try {
      await patchPlan(base, plan.id, { status: to });
      toast.ok(`Plan ${plan.name}: ${to}`);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };

  return (
    <div className="panel panel-flush">
      <div className="row" style={{ padding: 12 }}>
        <h2 style={{ margin: 0 }}>Plans</h2>
        <span className="spacer" />
        {canWrite && (
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            Create plan
          </button>
        )}
      </div>
      <ErrorBanner error={plans.error} />
      {plans.isPending ? (
        <Loading />
      ) : plans.data!.items.length === 0 ? (
        <Empty title="No plans yet">Consumers subscribe to plans; a plan sets how they authenticate.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Plan</th>
              <th>Security</th>
              <th>Approval</th>
              <th>Policies</th>
              <th>Status</th>
              <th>
                <span className="skip">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {plans.data!.items.map((p) => (
              <tr key={p.id}>
                <td>
                  {p.name}
                  <div className="muted mono">{p.id}</div>
                </td>
                <td>{p.security.type}</td>
                <td>{p.approval}</td>
                <td>{p.policies.map((x) => x.policy).join(', ') || <span className="muted">none</span>}</td>
                <td>
                  <Badge value={p.status} />
                </td>
                <td className="row">
                  <button type="button" className="btn btn-small" onClick={() => setEditing(p)}>
                    {canWrite ? 'Edit' : 'View'}
                  </button>
                  {canWrite &&
                    NEXT_STATUS[p.status].map((n) => (
                      <button key={n.to} type="button" className="btn btn-small" onClick={() => transition(p, n.to)}>
                        {n.label}
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <PlanDialog
          base={base}
          plan={editing === 'new' ? null : editing}
          canWrite={canWrite}
          onClose={() => setEditing(null)}
          onSaved={(plan) => {
            toast.ok(`Plan ${plan.name} saved`);
            refresh();
            setEditing(null);
          }}
        />
      )}
    </div>
  );
}

function PlanDialog({
  base,
  plan,
  canWrite,
  onClose,
  onSaved,
}: {
  base: string;
  plan: Plan | null;
  canWrite: boolean;
  onClose: () => void;
  onSaved: (plan: Plan) => void;
}) {
  const catalog = usePolicyCatalog();
  const [id, setId] = useState('');
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [security, setSecurity] = useState(plan?.security.type ?? 'api-key');
  const [securityConfig, setSecurityConfig] = useState<Record<string, unknown>>(plan?.security.config ?? {});
  const [approval, setApproval] = useState<Plan['approval']>(plan?.approval ?? 'auto');
  const [policies, setPolicies] = useState(plan?.policies ?? []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const at = (path: string) => (error instanceof ApiError ? error.at(`body.${path}`) : []);
  const securitySchema = catalog.data?.find((p) => p.kind === 'security' && p.name === security)?.schema;

  const submit = async () => {
    setBusy(true);
    setError(null);
    const body = {
      name,
      description: description || null,
      security: { type: security, config: securityConfig },
      approval,
      policies,
    };
    try {
      const saved = plan
        ? (await patchPlan(base, plan.id, body)).data
        : await api.post<Plan>(base, { id, ...body, status: 'staging' });
      onSaved(saved);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      wide
      title={plan ? `Plan ${plan.name}` : 'Create plan'}
      onClose={onClose}
      footer={
        canWrite && (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={submit}>
              {plan ? 'Save plan' : 'Create plan'}
            </button>
          </>
        )
      }
    >
      <ErrorBanner error={error} />
      <fieldset disabled={!canWrite} className="plain-fieldset">
        <div className="grid grid-2">
          {!plan && (
            <Field label="Plan id *" hint="Unique in the API; lowercase letters, digits, dashes." errors={at('id')}>
              {(p) => <input {...p} value={id} onChange={(e) => setId(e.target.value)} />}
            </Field>
          )}
          <Field label="Name *" errors={at('name')}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Security" hint="How consumers of this plan authenticate." errors={at('security.type')}>
            {(p) => (
              <select
                {...p}
                value={security}
                onChange={(e) => {
                  setSecurity(e.target.value);
                  setSecurityConfig({});
                }}
              >
                {SECURITY.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Subscription approval" errors={at('approval')}>
            {(p) => (
              <select {...p} value={approval} onChange={(e) => setApproval(e.target.value as Plan['approval'])}>
                <option value="auto">Automatic</option>
                <option value="manual">Manual review</option>
              </select>
            )}
          </Field>
        </div>
        <Field label="Description" errors={at('description')}>
          {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        {securitySchema && Object.keys(securitySchema.properties ?? {}).length > 0 && (
          <fieldset>
            <legend>{security} settings</legend>
            <SchemaForm
              schema={securitySchema}
              value={securityConfig}
              onChange={setSecurityConfig}
              errorsAt={(path) => at(`security.config.${path}`)}
            />
          </fieldset>
        )}
      </fieldset>
      <h3>Plan policies</h3>
      <PolicyEditor
        scope="plan"
        canWrite={canWrite}
        errorBase="body.policies"
        policies={policies}
        onSave={async (next) => setPolicies(next)}
      />
      <p className="hint">Policy changes apply to this form; save the plan to keep them.</p>
    </Modal>
  );
}
