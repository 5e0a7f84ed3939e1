// The agents' back-office: sign-in (OpenID Connect: the provider, then its callback), the caisse's
// queue, a file, the audit trail and the dashboard. Loaded only by agents.
const space = 'agent'
const auth = 'agent'
export default [
  { path: '/agent/connexion', name: 'agentSignIn', component: () => import('./SignInPage.vue'), meta: { space, title: 'Connexion agent' } },
  { path: '/agent/connexion/retour', name: 'agentSignInCallback', component: () => import('./SignInCallbackPage.vue'), meta: { space, title: 'Connexion agent' } },
  { path: '/agent', name: 'agentQueue', component: () => import('./QueuePage.vue'), meta: { space, title: 'File des demandes', auth } },
  { path: '/agent/dossiers/:id', name: 'agentFile', component: () => import('./file/FilePage.vue'), meta: { space, title: 'Dossier de renouvellement', auth } },
  { path: '/agent/audit', name: 'agentAudit', component: () => import('./AuditPage.vue'), meta: { space, title: "Journal d'audit", auth } },
  { path: '/agent/tableau-de-bord', name: 'agentDashboard', component: () => import('./DashboardPage.vue'), meta: { space, title: 'Tableau de bord', auth } },
]
