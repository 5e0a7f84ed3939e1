// The partner space: sign-in, account activation, conditions of use, password, acting for a
// beneficiary, signalements and requests, their follow-up and, for gestionnaires, accounts.
import { sessions } from '../session.js'

const space = 'partner'
const auth = 'partner'

/** The conditions of use, then an expired password, come before anything else. */
function gated(to) {
  const s = sessions.partner
  if (s?.cgu_accepted === false) return { name: 'partnerConditions', query: { retour: to.fullPath } }
  if (s?.password_expired) return { name: 'partnerPassword', query: { retour: to.fullPath } }
  return true
}

/** Techniciens have no access to account management. */
function gestionnaireOnly(to) {
  const g = gated(to)
  if (g !== true) return g
  return sessions.partner?.role === 'gestionnaire' ? true : { name: 'partnerHome' }
}

export default [
  { path: '/partenaire/connexion', name: 'partnerSignIn', component: () => import('./SignInPage.vue'), meta: { space, title: 'Connexion' } },
  {
    // The activation e-mail links to /partenaire/activation#<token> (functions/partner); links
    // sent before that spelling say /partenaires/ and stay valid for their 48 hours.
    path: '/partenaire/activation',
    alias: '/partenaires/activation',
    name: 'partnerActivation',
    component: () => import('./ActivationPage.vue'),
    meta: { space, title: 'Activer votre compte' },
  },
  // "Mot de passe oublié": the request, then the page the e-mailed link opens
  // (/partenaire/nouveau-mot-de-passe#<token>, functions/partner/src/links.rs).
  { path: '/partenaire/mot-de-passe-oublie', name: 'partnerForgot', component: () => import('./ForgotPasswordPage.vue'), meta: { space, title: 'Mot de passe oublié' } },
  { path: '/partenaire/nouveau-mot-de-passe', name: 'partnerReset', component: () => import('./ResetPasswordPage.vue'), meta: { space, title: 'Choisir un nouveau mot de passe' } },
  { path: '/partenaire/conditions', name: 'partnerConditions', component: () => import('./ConditionsPage.vue'), meta: { space, title: "Conditions d'utilisation", auth } },
  { path: '/partenaire/mot-de-passe', name: 'partnerPassword', component: () => import('./PasswordPage.vue'), meta: { space, title: 'Changer de mot de passe', auth } },
  { path: '/partenaire', name: 'partnerHome', component: () => import('./HomePage.vue'), beforeEnter: gated, meta: { space, title: 'Accueil', auth } },
  { path: '/partenaire/demande', name: 'partnerRenewal', component: () => import('./RenewalForPage.vue'), beforeEnter: gated, meta: { space, title: 'Accompagner une personne', auth } },
  { path: '/partenaire/signalement', name: 'partnerReport', component: () => import('./ReportPage.vue'), beforeEnter: gated, meta: { space, title: 'Signalement ou demande', auth } },
  { path: '/partenaire/historique', name: 'partnerHistory', component: () => import('./HistoryPage.vue'), beforeEnter: gated, meta: { space, title: 'Suivi des demandes', auth } },
  { path: '/partenaire/demandes/:rid', name: 'partnerRequest', component: () => import('./RequestPage.vue'), beforeEnter: gated, meta: { space, title: 'Signalement ou demande', auth } },
  { path: '/partenaire/violation-de-donnees', name: 'partnerIncident', component: () => import('./IncidentPage.vue'), meta: { space, title: 'Déclarer une violation de données', auth } },
  { path: '/partenaire/renouvellements/:id', name: 'partnerRenewalFollow', component: () => import('./RenewalFollowPage.vue'), beforeEnter: gated, meta: { space, title: "Suivi d'un renouvellement", auth } },
  {
    path: '/partenaire/comptes',
    name: 'partnerAccounts',
    component: () => import('./AccountsPage.vue'),
    beforeEnter: gestionnaireOnly,
    meta: { space, title: 'Comptes et habilitations', auth },
  },
  {
    path: '/partenaire/comptes/nouveau-gestionnaire',
    name: 'partnerHabilitationRequest',
    component: () => import('./HabilitationRequestPage.vue'),
    beforeEnter: gestionnaireOnly,
    meta: { space, title: 'Demander un nouveau gestionnaire', auth },
  },
]
