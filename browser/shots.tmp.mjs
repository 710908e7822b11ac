import { startServer, launchBrowser, newCitizen, register, signIn, open, PHONE } from './tests/helpers.mjs';
import { stage } from './tests/stage.mjs';
const server = await startServer();
const browser = await launchBrowser();
const STAFF = {
  handler: { username: 'cy.scjgj.handler', displayName: '朝阳市监处置员', args: ['--department', '110105-SCJGJ', '--role', 'handler'] },
  admin: { username: 'admin.zhou', displayName: '周管理', args: ['--role', 'system_admin'] },
};
const { person, createStaff, firstStaffSignIn, close } = stage(server, browser, STAFF);
try {
  for (const k of Object.keys(STAFF)) await firstStaffSignIn(k, await createStaff(k));
  const c = await person('citizen');
  const citizen = newCitizen('截图测试');
  await register(c.page, c.watch, citizen);
  await signIn(c.page, c.watch, citizen.username, citizen.password, '/account');
  const csrf = await c.page.locator('input[name=csrf]').first().inputValue();
  for (const title of ['食品经营许可（新办）', '公共场所卫生许可']) {
    const r = await c.page.request.post(`${server.baseUrl}/api/v1/cases`, { headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' }, data: { process: 'administrative_license', department: '110105-SCJGJ', title } });
    const num = (await r.json()).number;
    if (title.startsWith('食品')) {
      const h = await person('handler');
      const hcsrf = await h.page.locator('input[name=csrf]').first().inputValue();
      const cs = await (await h.page.request.get(`${server.baseUrl}/api/v1/cases/${num}`)).json();
      await h.page.request.post(`${server.baseUrl}/api/v1/cases/${num}/actions`, { headers: { 'x-csrf-token': hcsrf, 'content-type': 'application/json' }, data: { action: 'request_correction', version: cs.version, fields: { missing: ['营业执照副本', '经营场所平面图'] } } });
    }
  }
  const h = await person('handler');
  const mine = await (await c.page.request.get(`${server.baseUrl}/api/v1/cases`)).json();
  const food = mine.cases.find((x) => x.title.startsWith('食品')).number;
  for (const [w, tag] of [[1280, 'desktop'], [390, 'phone']]) {
    await open(c, `/cases/${food}`);
    await c.page.setViewportSize({ width: w, height: 900 });
    await c.page.locator('#corrections-heading').scrollIntoViewIfNeeded();
    await c.page.screenshot({ path: `/tmp/shot-checklist-${tag}.png`, fullPage: true });
  }
  for (const [name, p, path] of [['handler-messages', h, '/messages'], ['citizen-messages', c, '/messages'], ['citizen-settings', c, '/account/notifications'], ['admin-templates', await person('admin'), '/admin/notifications'], ['admin-template', await person('admin'), '/admin/notifications/correction_requested/zh-CN']]) {
    await open(p, path);
    await p.page.setViewportSize({ width: 1280, height: 900 });
    await p.page.screenshot({ path: `/tmp/shot-${name}-desktop.png`, fullPage: true });
    await p.page.setViewportSize(PHONE);
    await p.page.screenshot({ path: `/tmp/shot-${name}-phone.png`, fullPage: true });
  }
  await open(c, '/locale?lang=en&next=%2Fmessages');
  await c.page.setViewportSize({ width: 1280, height: 900 });
  await c.page.screenshot({ path: `/tmp/shot-citizen-messages-en.png`, fullPage: true });
} finally { await close(); await browser.close(); await server.stop(); }
