// htmx glue: start GOV.UK Frontend components in content htmx swaps in, move focus sensibly
// after an address step, and swap in a refused upload's answer when it carries its block.
import { startComponents } from './components.js'

document.body.addEventListener('htmx:load', (event) => {
  const element = event.detail.elt
  if (element === document.body || !(element instanceof HTMLElement)) return
  startComponents(element)
})

// After Find Address / Use this address / Enter Address, focus goes to what changed, so that a
// screen reader says it and keyboard users carry on from there.
document.body.addEventListener('htmx:afterSwap', (event) => {
  const block = event.detail.target
  if (!(block instanceof HTMLElement) || !block.classList.contains('portal-address')) return
  // The block was replaced whole: find its successor by id.
  const lookup = document.getElementById(block.id)
  if (!lookup) return
  const target = lookup.querySelector('.govuk-error-message')?.closest('.govuk-form-group')?.querySelector('input') ||
    lookup.querySelector('legend[tabindex="-1"]') ||
    lookup.querySelector('input:not([type="hidden"])')
  if (target) target.focus()
})

// An answer refused as too large (413) or unreadable (400) that still carries the part of the
// page it was asked for (the documents block, with its message) is shown like a 422.
document.body.addEventListener('htmx:beforeSwap', (event) => {
  const { xhr, target } = event.detail
  if (![400, 411, 413].includes(xhr.status) || !target || !target.id) return
  if (xhr.responseText.includes(`id="${target.id}"`)) {
    event.detail.shouldSwap = true
    event.detail.isError = false
  }
})
