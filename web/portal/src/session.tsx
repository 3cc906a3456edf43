/**
 * The signed-in customer: GetMe whenever the tokens change (sign-in, silent refresh elsewhere,
 * sign-out in another tab), Login as `user_type` customer (the JWT pair is stored, tokens.ts),
 * Logout (the server revokes the token family; the pair is dropped whatever it answers).
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { UserInfo } from '../../../src/gen/rustbill/identity_pb.ts';
import { api } from './api.ts';
import { currentTokens, onTokensChange, storeTokens } from './tokens.ts';

export interface Session {
  /** The customer user, or null when signed out. */
  user: UserInfo | null;
  loading: boolean;
  /** @throws ConnectError as Login answers (Unauthenticated for a wrong name or password) */
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Reads GetMe again (after a profile change). */
  reload(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<UserInfo | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => onTokensChange(() => setVersion((v) => v + 1)), []);
  useEffect(() => {
    if (!currentTokens()) {
      setUser(null);
      setLoading(false);
      return;
    }
    let live = true;
    api.identity.getMe({}).then(
      (me) => { if (live) setUser(me.user?.userType === 'customer' ? me.user : null); },
      () => { if (live) setUser(null); },
    ).finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [version]);
  const login = useCallback(async (username: string, password: string) => {
    const answer = await api.identity.login({ username, password, userType: 'customer' });
    storeTokens({ accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresInSecs: Number(answer.expiresIn) });
  }, []);
  const logout = useCallback(async () => {
    await api.identity.logout({}).catch(() => undefined);
    storeTokens(null);
  }, []);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return <SessionContext.Provider value={{ user, loading, login, logout, reload }}>{children}</SessionContext.Provider>;
}

/** The session (inside SessionProvider). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
