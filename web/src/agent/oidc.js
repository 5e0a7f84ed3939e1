// Agents sign in with the Assurance Maladie's identity provider: OpenID Connect, the
// authorization code with PKCE, all of it done by oidc-client-ts. The provider comes from
// /config.json; the session then lives in src/session.js like every space's, so the
// library keeps its user in memory only and its in-flight sign-in state in the tab.
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { runtimeConfig } from '../api/config.js'
import { sessions, signIn, signOut } from '../session.js'

let manager = null

async function userManager() {
  if (manager) return manager
  const { agent_oidc: c } = await runtimeConfig()
  const origin = window.location.origin
  manager = new UserManager({
    authority: c.authority,
    client_id: c.client_id,
    scope: c.scope ?? 'openid profile',
    redirect_uri: c.redirect_uri ?? `${origin}/agent/connexion/retour`,
    post_logout_redirect_uri: c.post_logout_redirect_uri ?? `${origin}/agent/connexion`,
    response_type: 'code',
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // No hidden iframe to the provider (the CSP allows none) and no refresh: at the end of
    // the token's life the agent signs in again, as the 401 policy of api/agent.js says.
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  })
  return manager
}

/** Only a page of the back-office, never another site nor the sign-in itself. */
export function backOfficePage(r) {
  return typeof r === 'string' && r.startsWith('/agent') && !r.startsWith('/agent/connexion') && !r.startsWith('//') ? r : null
}

/** Off to the provider; `retour` is where to come back once signed in. */
export async function startSignIn(retour) {
  const m = await userManager()
  await m.clearStaleState()
  await m.signinRedirect({ state: { retour: backOfficePage(retour) } })
}

/** On the callback page: the code for the tokens, then the agent's session. Returns `retour`. */
export async function completeSignIn() {
  const m = await userManager()
  const user = await m.signinRedirectCallback()
  if (!user) throw new Error('no user')
  const p = user.profile
  signIn('agent', {
    token: user.access_token,
    id_token: user.id_token,
    sub: p.sub,
    name: p.name,
    caisse: p.caisse,
    roles: Array.isArray(p.roles) ? p.roles : [],
    expires_in: user.expires_in ?? 900,
  })
  return backOfficePage(user.state?.retour)
}

/** Ends the session here, then at the provider, which sends the browser back to the sign-in. */
export async function startSignOut() {
  const idToken = sessions.agent?.id_token
  signOut('agent')
  const m = await userManager()
  // With a state, the provider's answer is known for what it is on the sign-in page.
  await m.signoutRedirect({ id_token_hint: idToken, state: { signedOut: true } })
}

/** Back from the provider's sign-out (`?state=`): forgets the request it answers. */
export async function completeSignOut() {
  const m = await userManager()
  await m.signoutCallback().catch(() => {})
}
