// What the file page's sections share: the file, one `busy` for every action, the notice at
// the top of the instruction, and what an action does with a refusal it cannot show next to
// a field (409: the file is reloaded and the agent told why). FilePage provides it; the
// forms inject it.
import { computed, inject, nextTick, provide, ref, watch } from 'vue'
import { getFile } from '../../api/agent.js'
import { statusLabel } from '../../labels/agent.js'
import { useAgent } from '../useAgent.js'

const KEY = Symbol('agent file')

export function provideFileActions(id) {
  const { me, isInstructeur } = useAgent()
  const file = ref(null)
  const loadError = ref(null)
  const notFound = ref(false)
  /** The outcome of the last action, shown at the top of the instruction: { type, text }. */
  const notice = ref(null)
  const busy = ref(false)

  async function load() {
    loadError.value = null
    try {
      file.value = await getFile(id.value)
      notFound.value = false
    } catch (e) {
      if (e.status === 404) notFound.value = true
      else if (e.status === 403) loadError.value = 'Votre rôle ne donne pas accès aux dossiers : ils sont réservés aux instructeurs et aux superviseurs.'
      else loadError.value = e.message
    }
  }
  watch(id, load, { immediate: true })

  async function tell(type, text) {
    notice.value = { type, text }
    await nextTick()
    document.getElementById('instruction-notice')?.focus()
  }

  /** What every action does with a refusal it cannot show next to a field. */
  async function conflictOr(e) {
    if (e.status === 409) {
      await load()
      const who = e.body?.assigned_to?.name
      const now = file.value ? `il est maintenant « ${statusLabel(file.value.status)} »` : ''
      const holder = file.value?.assigned_to?.name
      const text =
        e.code === 'version_conflict'
          ? "Ce dossier a été modifié par quelqu'un d'autre pendant que vous le consultiez : il vient d'être rechargé. Vérifiez-le, puis recommencez."
          : e.code === 'already_claimed'
            ? `Un autre agent${who ? ` (${who})` : ''} a déjà pris ce dossier en charge : il a été rechargé.`
            : e.code === 'not_assigned'
              ? `Ce dossier est pris en charge par ${holder ?? 'un autre agent'} : il a été rechargé, votre action n'a pas été enregistrée.`
              : `Ce dossier a changé entre-temps (${now}) : il a été rechargé, votre action n'a pas été enregistrée.`
      await tell('warning', text)
    } else await tell('error', e.message)
  }

  /** Runs an action, busy meanwhile; a refusal goes to `refused` (true: dealt with), else to conflictOr. */
  async function act(send, refused = () => false) {
    busy.value = true
    try {
      await send()
    } catch (e) {
      if (!refused(e)) await conflictOr(e)
    } finally {
      busy.value = false
    }
  }

  const assignedToMe = computed(() => file.value?.status === 'in_review' && file.value?.assigned_to?.agent_id === me.value?.sub)
  const actions = {
    id,
    file,
    loadError,
    notFound,
    notice,
    busy,
    load,
    tell,
    act,
    assignedToMe,
    canClaim: computed(() => isInstructeur.value && file.value?.status === 'submitted'),
    canInstruct: computed(() => isInstructeur.value && assignedToMe.value),
  }
  provide(KEY, actions)
  return actions
}

export function useFileActions() {
  return inject(KEY)
}
