#version 330 core
// One vertex per point: its position in data coordinates and its colour
// category. The view is a centre and a scale (pixels per data unit).
layout(location = 0) in vec2 position;
layout(location = 1) in float category;
layout(location = 2) in float selected;

uniform vec2 center;
uniform float scale;
uniform vec2 viewport;        // in pixels
uniform float point_size;     // in pixels
uniform sampler2D palette;    // n_categories x 1, RGBA

out vec4 color;
flat out float ring;

void main ()
{
  vec2 pixels = (position - center) * scale;
  gl_Position = vec4 (pixels / (viewport * 0.5), 0.0, 1.0);
  gl_PointSize = selected > 0.5 ? point_size + 3.0 : point_size;
  color = texelFetch (palette, ivec2 (int (category), 0), 0);
  ring = selected;
  // Alpha 0: a hidden category, drawn nowhere.
  if (color.a == 0.0)
    {
      gl_Position = vec4 (2.0, 2.0, 2.0, 1.0);
      gl_PointSize = 0.0;
    }
}
