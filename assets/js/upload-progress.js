// Upload Document (help guide 5.10): the button opens the file chooser, and the files chosen are
// uploaded at once, as the guide describes. Without this file the same form works in two steps:
// choose the files, then press the button.
document.body.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-upload-chooser]') : null
  const input = button && button.form && button.form.querySelector('input[type="file"][data-upload-on-choose]')
  if (!input || input.files.length) return
  event.preventDefault()
  input.click()
})

document.body.addEventListener('change', (event) => {
  const input = event.target
  if (!(input instanceof HTMLInputElement) || !input.matches('input[type="file"][data-upload-on-choose]')) return
  if (input.files.length && input.form) input.form.requestSubmit()
})

// Uploading documents: show how far the upload has gone (the bar is labelled "Uploading").
document.body.addEventListener('htmx:xhr:progress', (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null
  const box = form && form.querySelector('.portal-upload-progress')
  if (!box || !event.detail.lengthComputable) return
  box.hidden = false
  box.querySelector('progress').value = Math.round((event.detail.loaded / event.detail.total) * 100)
})
