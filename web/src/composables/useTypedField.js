// What the typed date and month fields share: the text as typed, kept in step with the ISO
// value of v-model both ways (the model is '' while the text is no real value), and the
// field's messages: `invalid` once the person has left a field that holds no real value,
// then the page's own.
import { computed, ref, watch } from 'vue'

export function useTypedField(props, emit, { toText, toIso, invalid }) {
  const text = ref(toText(props.modelValue))
  const touched = ref(false)
  watch(() => props.modelValue, (iso) => {
    if (iso !== toIso(text.value)) text.value = toText(iso)
  })
  watch(text, (t) => emit('update:modelValue', toIso(t)))
  const messages = computed(() => {
    const own = touched.value && text.value && !toIso(text.value) ? [invalid] : []
    return [...own, ...[].concat(props.errorMessages ?? []).filter(Boolean)]
  })
  return { text, touched, messages }
}
