// The console's code editor: CodeMirror 6 with Python (or JSON) highlighting, bundled by
// esbuild into dist/editor.js. Progressive enhancement: every <textarea data-code-editor>
// stays a working form field; the editor mirrors its text back into it on every change,
// so the form posts the same thing with or without JavaScript.
import { EditorView, basicSetup } from "codemirror";
import { python } from "@codemirror/lang-python";
import { json } from "@codemirror/lang-json";

const LANGUAGES = { python, json };

function enhance(textarea) {
  const language = LANGUAGES[textarea.dataset.codeEditor] || python;
  const view = new EditorView({
    doc: textarea.value,
    extensions: [
      basicSetup,
      language(),
      EditorView.contentAttributes.of({ "aria-label": textarea.getAttribute("aria-label") || "" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  textarea.hidden = true;
  textarea.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("code-editor");
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  if (label) label.addEventListener("click", () => view.focus());
  textarea.codeEditor = view;
  return view;
}

function enhanceAll(root = document) {
  root.querySelectorAll("textarea[data-code-editor]").forEach((t) => {
    if (!t.codeEditor) enhance(t);
  });
}

window.SandboxEditor = { enhance, enhanceAll };
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => enhanceAll());
} else {
  enhanceAll();
}
