// The beneficiary's pages: what to prepare, an estimate without signing in, sign-in, the
// renewal form step by step, the receipt and the follow-up.
const space = 'beneficiary'
// A partner fills the same form with its own session.
const filer = (route) => (route.query.pour === 'partenaire' ? 'partner' : 'beneficiary')
export default [
  { path: '/', name: 'home', component: () => import('./HomePage.vue'), meta: { space, title: 'Renouveler sa Complémentaire santé solidaire' } },
  { path: '/estimation', name: 'estimate', component: () => import('./EstimatePage.vue'), meta: { space, title: 'Estimer ses droits' } },
  { path: '/connexion', name: 'signIn', component: () => import('./SignInPage.vue'), meta: { space, title: 'Se connecter' } },
  { path: '/verification', name: 'stepUp', component: () => import('./StepUpPage.vue'), meta: { space, title: 'Confirmer son identité', auth: space } },
  { path: '/demande', name: 'renewal', component: () => import('./RenewalPage.vue'), meta: { space: filer, title: 'Demande de renouvellement', auth: filer } },
  { path: '/demande/recepisse', name: 'receipt', component: () => import('./ReceiptPage.vue'), meta: { space: filer, title: 'Demande envoyée', auth: filer } },
  { path: '/suivi', name: 'followUp', component: () => import('./FollowUpPage.vue'), meta: { space, title: 'Suivre ma demande', auth: space } },
]
