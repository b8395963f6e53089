// Scanning the QR code of a voter's card with the camera, where the browser can read QR codes
// (the BarcodeDetector API; elsewhere the button is not shown and the code is typed).  Nothing is
// recorded: frames are only read in memory, and the camera stops as soon as a code is read.
import { h } from '../dom.js';
import { t } from '../i18n.js';

/** True when this browser can read QR codes from the camera. */
export function canScan() {
  return 'BarcodeDetector' in window && !!navigator.mediaDevices?.getUserMedia;
}

/**
 * Show the camera in @box until a QR code is read: onCode(text) then.  Returns stop().
 * onFail() when the camera cannot be used.
 */
export async function scan(box, onCode, onFail) {
  let stream = null;
  let stopped = false;
  const video = h('video', { class: 'scanner-video', muted: true, playsinline: true });
  const stop = () => {
    stopped = true;
    stream?.getTracks().forEach((tr) => tr.stop());
    video.remove();
  };
  try {
    const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    video.srcObject = stream;
    box.append(video, h('p', { class: 'hint', text: t('code.scanHint') }));
    await video.play();
    const tick = async () => {
      if (stopped) return;
      const found = await detector.detect(video).catch(() => []);
      if (found.length) {
        const text = found[0].rawValue;
        stop();
        onCode(text);
        return;
      }
      setTimeout(tick, 200);
    };
    tick();
  } catch {
    stop();
    onFail();
  }
  return stop;
}
