// Pages every space links to from the footer (FooterBar's named routes).
export default [
  { path: '/accessibilite', name: 'a11yStatement', component: () => import('./AccessibilityPage.vue'), meta: { title: "Déclaration d'accessibilité" } },
  { path: '/mentions-legales', name: 'legalNotice', component: () => import('./LegalPage.vue'), meta: { title: 'Mentions légales' } },
  { path: '/conditions-generales', name: 'cgu', component: () => import('./CguPage.vue'), meta: { title: "Conditions générales d'utilisation" } },
  { path: '/cookies', name: 'cookies', component: () => import('./CookiesPage.vue'), meta: { title: 'Gestion des cookies' } },
  { path: '/aide', name: 'help', component: () => import('./HelpPage.vue'), meta: { title: 'Aide' } },
  { path: '/plan-du-site', name: 'sitemap', component: () => import('./SitemapPage.vue'), meta: { title: 'Plan du site' } },
  { path: '/:chemin(.*)*', name: 'notFound', component: () => import('./NotFoundPage.vue'), meta: { title: 'Page introuvable' } },
]
