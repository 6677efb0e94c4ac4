/**
 * One object read with its ETag; saves send If-Match. A save that meets 412 (changed meanwhile)
 * opens a dialog offering to reload the current version or to keep the local edits.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, send } from '../api';
import { Modal } from './ui';

export function useResource<T>(key: unknown[], path: string) {
  const client = useQueryClient();
  const [conflict, setConflict] = useState(false);
  const query = useQuery({ queryKey: key, queryFn: () => send<T>('GET', path) });

  const save = async (method: 'PATCH' | 'PUT', body: unknown): Promise<T> => {
    try {
      const answer = await send<T>(method, path, { body, ifMatch: query.data?.etag });
      client.setQueryData(key, answer);
      return answer.data;
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setConflict(true);
      throw error;
    }
  };

  const conflictDialog = conflict ? (
    <Modal
      title="Changed by someone else"
      onClose={() => setConflict(false)}
      footer={
        <>
          <button type="button" className="btn" onClick={() => setConflict(false)}>
            Keep my edits
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={async () => {
              await query.refetch();
              setConflict(false);
            }}
          >
            Reload the current version
          </button>
        </>
      }
    >
      <p>
        This object changed since you opened it, so your save was refused rather than overwriting the other change.
        Reload to see the current version (your unsaved edits are discarded), or keep your edits and copy what you need
        first. The audit trail shows who changed what.
      </p>
    </Modal>
  ) : null;

  return { ...query, value: query.data?.data, etag: query.data?.etag ?? null, save, conflictDialog };
}
