// Questions revealed by a radio or checkbox answer (GOV.UK conditional reveal markup): shown
// only while their option is selected. Without JavaScript they are all shown, and the server
// ignores the ones that do not apply.
const HIDDEN = 'govuk-radios__conditional--hidden'
const HIDDEN_CHECKBOX = 'govuk-checkboxes__conditional--hidden'

function update (input) {
  const target = document.getElementById(input.getAttribute('aria-controls'))
  if (!target) return
  const hiddenClass = input.type === 'checkbox' ? HIDDEN_CHECKBOX : HIDDEN
  target.classList.toggle(hiddenClass, !input.checked)
}

// Choosing another radio fires "change" on that radio only, not on the one it unchecks: so
// one listener updates every input of the group that reveals something.
function updateGroup (event) {
  const input = event.target
  if (!(input instanceof HTMLInputElement) || !['radio', 'checkbox'].includes(input.type)) return
  const scope = input.form || document
  for (const member of scope.querySelectorAll(`input[name="${CSS.escape(input.name)}"][aria-controls]`)) {
    update(member)
  }
}

let listening = false

export function startConditionalReveals (scope = document) {
  for (const input of scope.querySelectorAll('input[data-aria-controls]')) {
    input.setAttribute('aria-controls', input.dataset.ariaControls)
    input.removeAttribute('data-aria-controls')
    update(input)
  }
  if (!listening) {
    document.addEventListener('change', updateGroup)
    listening = true
  }
}
