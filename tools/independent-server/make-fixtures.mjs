// Writes fixtures/chat.json, the aimock fixtures the independent-server check uses (committed; rerun after a change):
//   node make-fixtures.mjs
// One fixture per item "[item 000]" … "[item 199]" answers with that item's JSON record, so a live answer shows which
// input it belongs to. aimock matches `userMessage` as a substring of the last user message, first fixture first.
// A repair (the SDK's "That answer is not valid: …" follow-up) gets a fixed record; anything else gets "unmatched",
// so a request the check did not plan for is visible in the results.
import { writeFileSync } from "node:fs";

const items = 200;
const fixtures = [];
for (let i = 0; i < items; i++) {
  const tag = `item-${String(i).padStart(3, "0")}`;
  fixtures.push({
    match: { userMessage: `[item ${String(i).padStart(3, "0")}]` },
    response: { content: JSON.stringify({ index: i, tag }) },
  });
}
fixtures.push({
  match: { userMessage: "That answer is not valid" },
  response: { content: JSON.stringify({ index: -1, tag: "repaired" }) },
});
fixtures.push({ match: { endpoint: "chat" }, response: { content: "unmatched" } });
writeFileSync(new URL("./fixtures/chat.json", import.meta.url), JSON.stringify({ fixtures }, null, 2) + "\n");
console.log(`wrote ${fixtures.length} fixtures`);
