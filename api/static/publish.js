// The demo publishing page: PUT the article through the API, wait, then ask it a question.
(() => {
  const form = document.getElementById('publish-form');
  const status = document.getElementById('publish-status');
  const out = document.getElementById('publish-answer');
  const link = document.getElementById('publish-link');
  const field = (name) => form.elements[name].value;
  const say = (text) => { status.textContent = text; };
  const problem = async (res) => { try { return (await res.json()).error.message; } catch { return `HTTP ${res.status}`; } };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = field('doc_id');
    out.textContent = '';
    say('Publishing…');
    const started = performance.now();
    const put = await fetch(`/documents/${encodeURIComponent(id)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${field('token')}` },
      body: JSON.stringify({ headline: field('headline'), text: field('text') }),
    });
    if (!put.ok) return say(`Not published: ${await problem(put)}`);
    const article = await put.json();
    const took = Math.round(performance.now() - started);
    say(`Published revision ${article.revision.slice(0, 12)} in ${took} ms; asking in 3 seconds…`);
    await new Promise((done) => setTimeout(done, 3000));
    const chat = await fetch('/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ question: field('question'), doc_id: id, revision: article.revision }),
    });
    if (!chat.ok) return say(`The question failed: ${await problem(chat)}`);
    const answer = await chat.json();
    say(`Answered from revision ${String(answer.revision).slice(0, 12)}:`);
    out.textContent = answer.answer;
    link.href = `/?doc_id=${encodeURIComponent(id)}`;
    link.hidden = false;
  });
})();
