// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The demo's program: a JVM whose threads have names, as a media player's would. Three
// "worker-N" threads decode (busy), "audio-out" wakes every 5 ms to feed a device, and the JVM
// adds its own named threads (GC, JIT compilers). It knows nothing of tld. Prints
// "ready <pid>" once all four run (the JVM names a thread before its run() starts, and the
// preload applies the name's rules then), and runs for the seconds given.
import java.util.concurrent.CountDownLatch;

public class Player {
	public static void main(String[] args) throws Exception {
		long end = System.currentTimeMillis() + (long) (Double.parseDouble(args[0]) * 1000);
		Thread[] threads = new Thread[4];
		CountDownLatch running = new CountDownLatch(threads.length);
		for (int i = 0; i < 3; i++) {
			threads[i] = new Thread(() -> {
				running.countDown();
				long x = 1;
				while (System.currentTimeMillis() < end)
					for (int j = 0; j < 100000; j++)
						x = x * 6364136223846793005L + 1442695040888963407L;
				if (x == 42)
					System.out.println(x); // keeps the loop from being optimized away
			}, "worker-" + i);
		}
		threads[3] = new Thread(() -> {
			running.countDown();
			try {
				while (System.currentTimeMillis() < end)
					Thread.sleep(5);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}, "audio-out");
		for (Thread t : threads)
			t.start();
		running.await();
		System.out.println("ready " + ProcessHandle.current().pid());
		System.out.flush();
		for (Thread t : threads)
			t.join();
		System.out.println("done");
	}
}
