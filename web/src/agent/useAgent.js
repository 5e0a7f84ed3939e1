// The signed-in agent (sub, name, caisse, roles) and what they may do.
import { computed } from 'vue'
import { sessions } from '../session.js'

export function useAgent() {
  const me = computed(() => sessions.agent)
  const roles = computed(() => me.value?.roles ?? [])
  return {
    me,
    isInstructeur: computed(() => roles.value.includes('instructeur')),
    isSuperviseur: computed(() => roles.value.includes('superviseur')),
    canSeeQueue: computed(() => roles.value.includes('instructeur') || roles.value.includes('superviseur')),
    isAdminPartenaires: computed(() => roles.value.includes('admin_partenaires')),
    isDpo: computed(() => roles.value.includes('dpo')),
    /** Any agent of the caisse, whatever their role, may declare a data breach. */
    hasRole: computed(() => roles.value.length > 0),
  }
}
