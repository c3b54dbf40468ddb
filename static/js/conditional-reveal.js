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

export function startConditionalReveals (scope = document) {
  const inputs = scope.querySelectorAll('input[data-aria-controls]')
  for (const input of inputs) {
    input.setAttribute('aria-controls', input.dataset.ariaControls)
    input.removeAttribute('data-aria-controls')
    update(input)
    input.addEventListener('change', () => {
      // A radio's siblings change too: update every input of the same name in this form.
      const group = input.form
        ? input.form.querySelectorAll(`input[name="${CSS.escape(input.name)}"]`)
        : [input]
      for (const member of group) {
        if (member.hasAttribute('aria-controls')) update(member)
      }
    })
  }
}
