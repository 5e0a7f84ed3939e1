// The site's runtime configuration (/config.json), set by whoever deploys it rather than
// built into the pages: CloudFront answers it from template.yaml's parameters, the dev
// server from its own identity provider. Read once per tab.
import { call } from './client.js'

let loaded = null

/** `{ agent_oidc: { authority, client_id, scope, redirect_uri, post_logout_redirect_uri } }` */
export function runtimeConfig() {
  loaded ??= call('GET', '/config.json').catch((e) => {
    loaded = null
    throw e
  })
  return loaded
}
