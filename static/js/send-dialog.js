// Send to Local Authority with JavaScript: when every answer is there, the confirmation comes
// back from the server (htmx) as a <dialog>. It opens as a modal, so the rest of the page is
// inert and focus stays inside; Cancel or Escape closes it and focus goes back to the button
// that opened it. Submit is a plain form post, as it is on the page used without JavaScript.
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
  element.showModal()
})
