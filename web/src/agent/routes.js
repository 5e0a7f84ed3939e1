// The agents' back-office: sign-in (OpenID Connect: the provider, then its callback), the caisse's
// queue, a file, the search, the audit trail, the dashboard, the partners' signalements and
// administration, the DPO's registers and rights, and a breach's declaration (any agent).
// Loaded only by agents.
const space = 'agent'
const auth = 'agent'
export default [
  { path: '/agent/connexion', name: 'agentSignIn', component: () => import('./SignInPage.vue'), meta: { space, title: 'Connexion agent' } },
  { path: '/agent/connexion/retour', name: 'agentSignInCallback', component: () => import('./SignInCallbackPage.vue'), meta: { space, title: 'Connexion agent' } },
  { path: '/agent', name: 'agentQueue', component: () => import('./QueuePage.vue'), meta: { space, title: 'File des demandes', auth } },
  { path: '/agent/dossiers/:id', name: 'agentFile', component: () => import('./file/FilePage.vue'), meta: { space, title: 'Dossier de renouvellement', auth } },
  { path: '/agent/recherche', name: 'agentSearch', component: () => import('./SearchPage.vue'), meta: { space, title: 'Rechercher un dossier', auth } },
  { path: '/agent/audit', name: 'agentAudit', component: () => import('./AuditPage.vue'), meta: { space, title: "Journal d'audit", auth } },
  { path: '/agent/signalements', name: 'agentReports', component: () => import('./reports/ReportsPage.vue'), meta: { space, title: 'Signalements et demandes des partenaires', auth } },
  { path: '/agent/signalements/:rid', name: 'agentReport', component: () => import('./reports/ReportPage.vue'), meta: { space, title: "Signalement ou demande d'un partenaire", auth } },
  { path: '/agent/partenaires', name: 'agentPartners', component: () => import('./partners/PartnersPage.vue'), meta: { space, title: 'Administration des partenaires', auth } },
  { path: '/agent/partenaires/:pid', name: 'agentPartner', component: () => import('./partners/PartnerPage.vue'), meta: { space, title: 'Organisme partenaire', auth } },
  { path: '/agent/protection-des-donnees', name: 'agentDpo', component: () => import('./dpo/RegisterPage.vue'), meta: { space, title: 'Registre des demandes RGPD', auth } },
  { path: '/agent/protection-des-donnees/droits', name: 'agentDpoRights', component: () => import('./dpo/RightsPage.vue'), meta: { space, title: 'Exercer un droit des personnes', auth } },
  { path: '/agent/protection-des-donnees/violations', name: 'agentIncidents', component: () => import('./dpo/IncidentsPage.vue'), meta: { space, title: 'Registre des violations de données', auth } },
  // The address the DPO's alert of a breach links to.
  { path: '/agent/incidents', redirect: { name: 'agentIncidents' } },
  { path: '/agent/violation-de-donnees', name: 'agentIncidentNew', component: () => import('./dpo/DeclareIncidentPage.vue'), meta: { space, title: 'Déclarer une violation de données', auth } },
  { path: '/agent/tableau-de-bord', name: 'agentDashboard', component: () => import('./DashboardPage.vue'), meta: { space, title: 'Tableau de bord', auth } },
]
