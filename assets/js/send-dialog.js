// Send to Local Authority with JavaScript: when every answer is there, the confirmation comes
// back from the server (htmx) as a <dialog>. It opens as a modal, so the rest of the page is
// inert, and Tab goes round its buttons; Cancel or Escape closes it and focus goes back to the
// button that opened it. Submit is a plain form post, as it is on the page used without JavaScript.
document.body.addEventListener('htmx:load', (event) => {
  const element = event.detail.elt
  if (!(element instanceof HTMLDialogElement) || !element.hasAttribute('data-open-on-load')) return
  const opener = document.getElementById('send-button')
  element.addEventListener('close', () => {
    element.remove()
    if (opener) opener.focus()
  })
  const cancel = element.querySelector('[data-close-dialog]')
  if (cancel) cancel.addEventListener('click', () => element.close())
  // The page behind is inert, but Tab could still leave for the browser's own controls: keep
  // it going round the dialog's buttons, both ways.
  element.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return
    const stops = Array.from(element.querySelectorAll('button:not([disabled]), a[href], input:not([type="hidden"]):not([disabled]), textarea, select'))
    if (stops.length === 0) return
    const first = stops[0]
    const last = stops[stops.length - 1]
    const active = document.activeElement
    if (event.shiftKey && (active === first || !element.contains(active) || active === element.querySelector('[autofocus]'))) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && active === last) {
      event.preventDefault()
      first.focus()
    }
  })
  element.showModal()
})
