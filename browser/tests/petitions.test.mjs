// Browser test of petitions (信访) as the people involved use them: a
// registered resident petitions online on a phone (refused once for saying
// too little); the transport commission, to which it was brought, sends it
// on to the housing commission from the case page; the housing commission
// registers a neighbour's visit on the same matter and the petition's record
// shows the two linked; it accepts the resident's petition and answers it,
// each step giving a written notice as a PDF addressed to the resident; the
// resident reads the answer and asks for a review, which a city supervisor
// decides.
//
// With EGOV_SCREENSHOTS=DIR set, the pages are saved there at desktop and
// phone widths for a person to look at.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stage } from './stage.mjs';
import {
  PHONE, actionForm, assertFormPageBasics, assertNoSidewaysScroll, assertUniqueIds, caseFacts, landOn,
  launchBrowser, newCitizen, open, pdfLines, register, settle, shoot, signIn, startServer,
  submitAndLand, submitExpecting, textOf, watchPage,
} from './helpers.mjs';

const TEST_TIMEOUT = 180_000;
const MATTER = '朝阳区劲松街道八区12号楼地下室自今年五月起长期积水，多次向物业反映均未处理，楼道墙体已经发霉。';
const VISIT = '劲松八区12号楼地下室从五月开始长期积水，物业一直未处理，楼道墙体发霉，居民多人反映。';
const REQUEST = '请求督促物业尽快排水并修复防水层';
const OPINION = '经调查核实，已责成物业服务企业于十日内完成排水并修复防水层，劲松街道办事处负责督促落实。';

let server;
let browser;
let cast;
const resident = newCitizen('孙丽娟');
const flow = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cast = stage(server, browser, {
    transport: { username: 'jtw.petitions', displayName: '市交通委信访', args: ['--department', '110000-JTW', '--role', 'handler'] },
    housing: { username: 'zjw.petitions', displayName: '市住房城乡建设委信访', args: ['--department', '110000-ZJW', '--role', 'handler'] },
    supervisor: { username: 'city.petitions', displayName: '市信访督查', args: ['--role', 'supervisor'] },
  });
});

after(async () => {
  if (cast) await cast.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a resident petitions online on a phone; too little is refused and kept as typed', { timeout: TEST_TIMEOUT }, async () => {
  const p = await cast.person('resident');
  await register(p.page, p.watch, resident);
  await signIn(p.page, p.watch, resident.username, resident.password, '/account');
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, hasTouch: true, isMobile: true, storageState: await p.context.storageState() });
  phone.setDefaultTimeout(20_000);
  try {
    const mobile = await phone.newPage();
    const watch = watchPage(mobile, server.baseUrl);
    await mobile.goto(`${server.baseUrl}/petitions`, { waitUntil: 'load' });
    await settle(mobile, watch);
    await mobile.getByRole('link', { name: '网上信访', exact: true }).click();
    await landOn(mobile, watch, '/petitions/new');
    await assertFormPageBasics(mobile);
    await mobile.getByLabel('受理机关', { exact: true }).selectOption({ label: '北京市交通委员会' });
    await mobile.getByLabel('问题类别', { exact: true }).selectOption({ label: '住房保障' });
    await mobile.getByLabel('信访事项（事实经过）', { exact: true }).fill('地下室积水');
    await mobile.getByLabel('信访诉求', { exact: true }).fill(REQUEST);
    await submitExpecting(mobile, watch, 422, () => mobile.getByRole('button', { name: '提交', exact: true }).click());
    assert.match(await textOf(mobile.locator('#form-error')), /信访事项应为/);
    assert.equal(await mobile.getByLabel('信访诉求', { exact: true }).inputValue(), REQUEST, 'kept as typed');
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'petitions-refused-phone');
    await mobile.getByLabel('信访事项（事实经过）', { exact: true }).fill(MATTER);
    await mobile.getByRole('button', { name: '提交', exact: true }).click();
    await mobile.waitForURL((u) => u.pathname.startsWith('/cases/') && u.searchParams.get('done') === 'opened', { waitUntil: 'load' });
    await settle(mobile, watch);
    flow.number = new URL(mobile.url()).pathname.split('/').pop();
    assert.equal((await caseFacts(mobile)).state, '待受理');
    await assertNoSidewaysScroll(mobile);
    await shoot(mobile, 'petitions-filed-phone');
    watch.assertClean();
  } finally {
    await phone.close();
  }
});

test('sent on to the housing commission, which registers a neighbour’s visit on the same matter, linked', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.number, 'no petition from the previous test');
  for (const name of ['transport', 'housing', 'supervisor']) {
    const otp = await cast.createStaff(name);
    await cast.firstStaffSignIn(name, otp);
  }
  const transport = await cast.person('transport');
  await open(transport, `/cases/${flow.number}`);
  const send = actionForm(transport.page, '转送');
  await send.getByLabel('部门').selectOption({ label: '北京市住房和城乡建设委员会' });
  await send.getByLabel('转送理由').fill('住房保障事项由市住房城乡建设委办理');
  await submitAndLand(transport, () => send.getByRole('button', { name: '转送', exact: true }).click(), `/cases/${flow.number}`, 'action');
  transport.watch.assertClean();

  const housing = await cast.person('housing');
  const { page, watch } = housing;
  await open(housing, '/petitions');
  assert.ok(await page.getByRole('link', { name: REQUEST, exact: true }).count(), 'the petition sent on is listed');
  await page.getByRole('link', { name: '登记来信、来访、来电', exact: true }).click();
  await landOn(page, watch, '/petitions/register');
  await assertFormPageBasics(page);
  await page.getByLabel('来访', { exact: true }).check();
  await page.getByLabel('问题类别', { exact: true }).selectOption({ label: '住房保障' });
  await page.getByLabel('信访事项（事实经过）', { exact: true }).fill(VISIT);
  await page.getByLabel('信访诉求', { exact: true }).fill(REQUEST);
  await page.getByLabel('信访人数', { exact: true }).fill('5');
  await page.getByLabel('姓名', { exact: true }).fill('周建国');
  // No way to reach him: the form again, nothing registered.
  await submitExpecting(page, watch, 422, () => page.getByRole('button', { name: '登记', exact: true }).click());
  assert.match(await textOf(page.locator('#form-error')), /请留下信访人的电话或通讯地址/);
  await page.getByLabel('联系电话', { exact: true }).fill('13911112222');
  await page.getByRole('button', { name: '登记', exact: true }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/petitions/') && u.searchParams.get('done') === 'registered', { waitUntil: 'load' });
  await settle(page, watch);
  const links = await textOf(page.locator('#links'));
  assert.match(links, new RegExp(flow.number), 'linked to the resident’s petition');
  assert.match(links, /同一事项（其他信访人）/);
  assert.match(await textOf(page.locator('#petitioner')), /13911112222/, 'the handler sees the petitioner whole');
  await assertUniqueIds(page);
  await shoot(page, 'petitions-record-desktop');
  watch.assertClean();
});

test('accepted and answered with notices; the resident asks for a review; a supervisor decides it', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(flow.number, 'no petition from the first test');
  const housing = await cast.person('housing');
  await open(housing, `/cases/${flow.number}`);
  const accept = actionForm(housing.page, '受理');
  await accept.getByLabel('受理意见').fill('属于本机关职责范围，予以受理');
  await submitAndLand(housing, () => accept.getByRole('button', { name: '受理', exact: true }).click(), `/cases/${flow.number}`, 'action');
  assert.equal((await caseFacts(housing.page)).state, '办理中');
  const answer = actionForm(housing.page, '出具处理意见');
  await answer.getByLabel('处理意见').fill(OPINION);
  await submitAndLand(housing, () => answer.getByRole('button', { name: '出具处理意见', exact: true }).click(), `/cases/${flow.number}`, 'action');
  assert.equal((await caseFacts(housing.page)).state, '已出具处理意见');
  housing.watch.assertClean();

  const p = await cast.person('resident');
  await open(p, `/cases/${flow.number}`);
  const main = await textOf(p.page.locator('main'));
  assert.match(main, /受理告知书/);
  assert.match(main, /处理意见书/);
  const got = await p.page.request.get(`${server.baseUrl}/petitions/${flow.number}/notices/petition_answered`);
  assert.equal(got.status(), 200);
  assert.equal(got.headers()['content-type'], 'application/pdf');
  const { lines } = await pdfLines(await got.body());
  const text = lines.join('');
  for (const said of ['信访事项处理意见书', '孙丽娟', '劲松街道办事处负责督促落实', '北京市住房和城乡建设委员会', '复查']) {
    assert.ok(text.includes(said), `${said} not in the notice: ${JSON.stringify(lines)}`);
  }
  await p.page.goto(`${server.baseUrl}/petitions/${flow.number}`, { waitUntil: 'load' });
  await settle(p.page, p.watch);
  assert.match(await textOf(p.page.locator('#petitioner')), /孙丽娟/, 'the petitioner sees their own record');
  await shoot(p.page, 'petitions-own-record-desktop');
  await open(p, `/cases/${flow.number}`);
  const review = actionForm(p.page, '申请复查');
  await review.getByLabel('请求复查的理由').fill('物业至今仍未排水');
  await submitAndLand(p, () => review.getByRole('button', { name: '申请复查', exact: true }).click(), `/cases/${flow.number}`, 'action');
  assert.equal((await caseFacts(p.page)).state, '复查中');
  await shoot(p.page, 'petitions-review-asked-desktop');

  const supervisor = await cast.person('supervisor');
  await open(supervisor, `/cases/${flow.number}`);
  const decide = actionForm(supervisor.page, '出具复查意见');
  await decide.getByLabel('复查意见').fill('原处理意见正确，责成市住房城乡建设委督促物业在五日内完成排水。');
  await submitAndLand(supervisor, () => decide.getByRole('button', { name: '出具复查意见', exact: true }).click(), `/cases/${flow.number}`, 'action');
  assert.equal((await caseFacts(supervisor.page)).state, '已出具复查意见');
  const reviewed = await supervisor.page.request.get(`${server.baseUrl}/petitions/${flow.number}/notices/petition_reviewed`);
  assert.equal(reviewed.status(), 200);
  const decided = (await pdfLines(await reviewed.body())).lines.join('');
  assert.ok(decided.includes('信访事项复查意见书') && decided.includes('北京市人民政府'), decided);
  supervisor.watch.assertClean();
  p.watch.assertClean();
});
